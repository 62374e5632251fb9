// The SQLite store's WAL checkpointer, in a worker thread: copying the WAL back into the database
// file, with its fsync, is the one long piece of disk work of a write, and on the event loop (SQLite's
// automatic checkpoint runs inside the COMMIT that crosses its threshold) it held that commit for
// about 8 ms, and over 100 ms on a busy disk. Plain JS: a worker's entry cannot be .ts on Node 20.
// workerData: { path, intervalMs }. The parent posts 'stop'; the worker posts { error } when it
// cannot open the database (the parent then lets SQLite checkpoint on its own again).
import { clearInterval, setInterval } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs } = workerData;
let db;
try {
  db = new Database(path, { timeout: 5000 });
  db.pragma('synchronous = NORMAL');
} catch (error) {
  parentPort.postMessage({ error: String(error?.message ?? error) });
  parentPort.close();
}

if (db) {
  const timer = setInterval(() => {
    try {
      // PASSIVE copies what no reader still needs and never waits for readers or writers; with
      // nothing new in the WAL it does nothing, not even a sync.
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or locked for a moment: the next tick tries again.
    }
  }, intervalMs);
  parentPort.on('message', (message) => {
    if (message !== 'stop') return;
    clearInterval(timer);
    db.close();
    parentPort.close();
  });
}
