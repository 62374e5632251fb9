import { TributaryError } from '../errors.ts';
import { isFinished } from './run.ts';
import type { SessionStore } from '../store/session-store.ts';

/** Whether a run is queued or running in this process as a run of that session (`Runs.isLive`). */
export type IsRunLive = (sessionId: string, runId: string) => boolean;

/**
 * Why an event or checkpoint may not name `runId`, a run that is not live in this process: RUN_NOT_FOUND
 * when the session has no such run (never had, or it is another session's), RUN_FINISHED when it has
 * ended. Runs execute only in the process that created them (a restart marks the ones it lost failed),
 * so a run that is not live here has ended, even while its terminal event is still being written.
 *
 * The caller checks `isRunLive` and, when true, commits with no `await` in between: a live run queues
 * its terminal event only after leaving the live set, so the commit lands before that event, and
 * "the terminal event is the run's last" holds.
 *
 * @example
 * ```ts
 * if (runId !== null && !isRunLive(sessionId, runId)) throw await closedRunError(store, sessionId, runId);
 * await log.commit({ ... }); // no await between the check and this call
 * ```
 */
export async function closedRunError(
  store: SessionStore,
  sessionId: string,
  runId: string,
): Promise<TributaryError> {
  const run = await store.getRun(sessionId, runId);
  if (!run) {
    return new TributaryError('RUN_NOT_FOUND', `run ${runId} not found in session ${sessionId}`, {
      field: 'run_id',
    });
  }
  // Stored as queued or running only while its terminal event is on its way to the store.
  const status = isFinished(run.status) ? run.status : null;
  return new TributaryError(
    'RUN_FINISHED',
    `run ${runId} has ended${status ? ` (${status})` : ''}: it takes no more events or checkpoints`,
    { field: 'run_id', details: { status: run.status } },
  );
}
