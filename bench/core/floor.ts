import { randomUUID } from 'node:crypto';
import type { WriteBatch } from '../../core/index.ts';
import { envelope } from '../../core/events/envelope.ts';
import { sessionRecord, stepDraft } from '../lib/fixtures.ts';
import { sample, timeMs, type Compared } from '../lib/measure.ts';
import { openStore, type StoreKind } from '../lib/runtime.ts';
import { throughSubject } from './throughput.ts';

/**
 * The floor under the throughput row: what parts of a durable append cost per event on their own,
 * against a bare `Subject.next` (the baseline of every row here).
 */

const EVENTS = 100_000;
/** Batches per `writeMany`, as group commit hands a pipelined burst to the store. */
export const PER_CALL = 1_000;

/** µs per event through a bare Subject to one subscriber: the throughput row's baseline, as µs. */
async function subjectCost(): Promise<number> {
  return 1e6 / (await throughSubject(EVENTS));
}

/** µs per event for `envelope()`: a uuid, the redacted copy of `meta`, the envelope object. */
async function envelopeCost(): Promise<number> {
  const sessionId = randomUUID();
  const ts = new Date().toISOString();
  let kept = 0;
  const ms = await timeMs(async () => {
    for (let n = 0; n < EVENTS; n += 1) kept += envelope(sessionId, null, stepDraft(null, n), ts).id.length;
  });
  if (kept === 0) throw new Error('no envelopes');
  return (ms * 1000) / EVENTS;
}

/** µs per event for the store alone: `writeMany` of one-event batches, PER_CALL per call, one session. */
async function storeCost(kind: StoreKind): Promise<number> {
  const store = openStore(kind);
  try {
    const ts = new Date().toISOString();
    const session = sessionRecord(ts);
    await store.write({ session_id: session.id, create: session });
    const calls: WriteBatch[][] = [];
    for (let sent = 0; sent < EVENTS; sent += PER_CALL) {
      calls.push(
        Array.from({ length: PER_CALL }, (_, i) => ({
          session_id: session.id,
          events: [envelope(session.id, null, stepDraft(null, sent + i), ts)],
        })),
      );
    }
    const ms = await timeMs(async () => {
      for (const batches of calls) await store.writeMany(batches);
    });
    return (ms * 1000) / EVENTS;
  } finally {
    await store.close();
  }
}

const SAMPLE = { warmup: 2, runs: 5 };

/** Median µs per event for `envelope()` (value) and for a bare Subject (baseline). */
export async function measureEnvelopeFloor(): Promise<Compared> {
  return { value: await sample(SAMPLE, envelopeCost), baseline: await sample(SAMPLE, subjectCost) };
}

/** Median µs per event for the store's `writeMany` alone (value) and for a bare Subject (baseline). */
export async function measureStoreFloor(kind: StoreKind): Promise<Compared> {
  return {
    value: await sample(SAMPLE, () => storeCost(kind)),
    baseline: await sample(SAMPLE, subjectCost),
  };
}
