import type { WriteBatch } from '../../core/index.ts';
import { envelope } from '../../core/events/envelope.ts';
import { MAX_GROUP } from '../../core/events/event-log.ts';
import { sessionRecord, stepDraft } from '../lib/fixtures.ts';
import { timeMs } from '../lib/measure.ts';
import { openSettledStore, type StoreKind } from '../lib/runtime.ts';

/**
 * The durable-append floor under the throughput row: what the same events cost with nothing but an
 * `envelope()` each and the store's `writeMany`, in the grouping the log hands the store.
 */

/**
 * Events per store call: the log's group size. A pipelined burst of one session's commits goes to
 * the store in groups of `MAX_GROUP` one-event batches (1,000 in flight: two calls of 500).
 */
export const PER_CALL = MAX_GROUP;

/**
 * Events per second for `events` one-event appends to one session of a fresh store of `kind`:
 * per call, one ISO timestamp, `PER_CALL` envelopes, one `writeMany` of as many one-event batches,
 * awaited before the next. No queue, no promise per event, no hub, no subscriber.
 */
export async function durableAppendRate(kind: StoreKind, events: number): Promise<number> {
  const store = await openSettledStore(kind);
  try {
    const session = sessionRecord(new Date().toISOString());
    await store.write({ session_id: session.id, create: session });
    const ms = await timeMs(async () => {
      for (let sent = 0; sent < events;) {
        const ts = new Date().toISOString();
        const batches: WriteBatch[] = [];
        for (const end = Math.min(events, sent + PER_CALL); sent < end; sent += 1) {
          batches.push({
            session_id: session.id,
            events: [envelope(session.id, null, stepDraft(null, sent), ts)],
          });
        }
        await store.writeMany(batches);
      }
    });
    return events / (ms / 1000);
  } finally {
    await store.close();
  }
}
