import { isTributaryError } from '../errors.ts';
import type { SessionEvent } from './event.ts';
import type { SessionStore, WriteBatch } from '../store/session-store.ts';

/** One caller's batches in the shared store call, and who waits for their events. */
interface Job {
  batches: readonly WriteBatch[];
  resolve(events: SessionEvent[][]): void;
  reject(error: unknown): void;
}

/**
 * One store call for the writes of one event-loop turn: the groups of different sessions ready in
 * the same turn share one `writeMany` (concurrent creates, each a new session and so its own group,
 * share one SQLite transaction instead of paying a BEGIN … COMMIT each). The call goes out after the
 * I/O callbacks of the turn (`setImmediate`), so requests read together are written together, or at
 * once when `maxBatches` are waiting.
 *
 * Bad-batch isolation: each batch stays atomic, and if the shared call fails on a bad batch, every
 * caller's batches are written again alone, so the failure stays with its own caller, as if it had
 * been written alone. A store that is down (see {@link isStoreFailure}) fails every caller at once.
 *
 * @example
 * ```ts
 * const shared = new SharedWrite(store, 500);
 * const [a, b] = await Promise.all([shared.write([batchOfS1]), shared.write([batchOfS2])]); // one writeMany
 * ```
 */
export class SharedWrite {
  private jobs: Job[] = [];
  private batches = 0;

  constructor(
    private readonly store: Pick<SessionStore, 'writeMany'>,
    private readonly maxBatches: number,
  ) {}

  /** Writes `batches` (in the next shared call) and resolves with their events, batch by batch. */
  write(batches: readonly WriteBatch[]): Promise<SessionEvent[][]> {
    return new Promise((resolve, reject) => {
      if (this.jobs.length === 0) setImmediate(() => void this.writeNow());
      this.jobs.push({ batches, resolve, reject });
      this.batches += batches.length;
      // Bounds the transaction, as the log's MAX_GROUP bounds a group (so at most about twice that).
      if (this.batches >= this.maxBatches) void this.writeNow();
    });
  }

  /** The store call the jobs waiting so far share. Never rejects. */
  private async writeNow(): Promise<void> {
    const jobs = this.jobs;
    this.jobs = [];
    this.batches = 0;
    if (jobs.length === 0) return;
    let written: SessionEvent[][] | undefined;
    // One job (a session's burst alone in its turn, the usual case): its batches as they are.
    const only = jobs.length === 1 ? jobs[0] : undefined;
    try {
      written = await this.store.writeMany(only ? only.batches : jobs.flatMap((job) => job.batches));
    } catch (error) {
      // The store itself failed: every job alike. One job alone: its own failure.
      if (jobs.length === 1 || isStoreFailure(error)) {
        for (const job of jobs) job.reject(error);
        return;
      }
    }
    if (written && only) {
      only.resolve(written);
      return;
    }
    if (written) {
      let at = 0;
      for (const job of jobs) {
        job.resolve(written.slice(at, at + job.batches.length));
        at += job.batches.length;
      }
      return;
    }
    for (const job of jobs) {
      try {
        job.resolve(await this.store.writeMany(job.batches));
      } catch (error) {
        job.reject(error);
      }
    }
  }
}

/**
 * The store itself failed (down, locked, corrupt): writing the batches one by one would not help.
 *
 * @example
 * ```ts
 * isStoreFailure(new TributaryError('STORE_UNAVAILABLE', 'disk gone')); // true
 * isStoreFailure(new TributaryError('INVALID_ARGUMENT', 'run of another session')); // false
 * ```
 */
export function isStoreFailure(error: unknown): boolean {
  if (!isTributaryError(error)) return false;
  // A damaged record of one session (STORE_CORRUPT naming it) is its batch's fault, not the store's.
  const ofOneSession = error.details?.session_id !== undefined;
  return error.code === 'STORE_UNAVAILABLE' || (error.code === 'STORE_CORRUPT' && !ofOneSession);
}
