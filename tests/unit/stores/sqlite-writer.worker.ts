/**
 * A second writer for the multi-writer test: it opens its own connection to the file and, on
 * the signal `'go'`, appends `count` events to one session, one write (one transaction) each.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from '../../../stores/sqlite/sqlite-store.ts';
import { makeEvent } from './fixtures.ts';

export interface WriterJob {
  path: string;
  sessionId: string;
  count: number;
  name: string;
}

export type WriterReport = { type: 'ready' } | { type: 'done'; seqs: number[] };

const port = parentPort;
if (!port) throw new Error('run this file as a worker thread');
const job = workerData as WriterJob;
const store = SqliteStore.open({ path: job.path });

port.once('message', () => {
  void (async () => {
    const seqs: number[] = [];
    for (let i = 0; i < job.count; i++) {
      const events = await store.write({
        session_id: job.sessionId,
        events: [makeEvent(job.sessionId, { message: `${job.name} #${i}` })],
      });
      seqs.push(...events.map((e) => e.seq));
    }
    await store.close();
    port.postMessage({ type: 'done', seqs } satisfies WriterReport);
  })();
});
port.postMessage({ type: 'ready' } satisfies WriterReport);
