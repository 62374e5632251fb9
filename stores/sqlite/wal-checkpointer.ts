import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** How often the worker copies the WAL back into the database file. */
export const CHECKPOINT_INTERVAL_MS = 200;

/** A running checkpointer; `stop` ends its worker (the database stays open). */
export interface WalCheckpointer {
  stop(): Promise<void>;
}

/**
 * Moves the WAL checkpoints of `db` (the file at `path`) off the event loop: SQLite's automatic
 * checkpoint, which runs inside whichever COMMIT crosses its threshold and fsyncs the database file
 * there, is turned off, and a worker thread with its own connection checkpoints every
 * {@link CHECKPOINT_INTERVAL_MS} instead (`wal-checkpoint-worker.mjs`). If the worker cannot work, the
 * automatic checkpoint is turned back on, so the WAL never grows without bound.
 *
 * @example
 * ```ts
 * const checkpointer = startWalCheckpointer(db, './data/tributary.db');
 * // … writes commit without copying the WAL back …
 * await checkpointer.stop();
 * db.close();
 * ```
 */
export function startWalCheckpointer(
  db: Database.Database,
  path: string,
  intervalMs = CHECKPOINT_INTERVAL_MS,
): WalCheckpointer {
  db.pragma('wal_autocheckpoint = 0');
  const worker = new Worker(new URL('./wal-checkpoint-worker.mjs', import.meta.url), {
    workerData: { path, intervalMs },
    // Plain JS needing no loader: the process's own `--import`s (tsx, the OTel register) are not for it.
    execArgv: [],
  });
  // A store left open must not keep the process alive for its checkpoints.
  worker.unref();
  let stopped = false;
  const fallBack = () => {
    if (!stopped && db.open) db.pragma('wal_autocheckpoint = 1000');
  };
  worker.on('message', (message: { error?: string }) => {
    if (message.error !== undefined) fallBack();
  });
  worker.on('error', fallBack);
  const exited = once(worker, 'exit');
  worker.on('exit', fallBack);
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      // Held again while it stops: an unref'd worker would let the process end before the store's close.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
