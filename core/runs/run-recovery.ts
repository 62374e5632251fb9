import type { EventLog } from '../events/event-log.ts';
import { touch, type SessionPolicy } from '../sessions/session-policy.ts';
import type { SessionStore } from '../store/session-store.ts';
import { nowIso } from '../uuid.ts';
import type { RunError } from './run.ts';

export interface RunRecoveryDeps {
  readonly store: SessionStore;
  readonly log: EventLog;
  readonly policy: SessionPolicy;
}

/** The error a run lost to a crash ends with. */
const INTERRUPTED: RunError = {
  code: 'RUN_INTERRUPTED',
  message: 'the process stopped while this run was in progress',
  reason: 'interrupted',
};

/**
 * Marks runs that were queued or running when the process died as failed (`interrupted`), with a
 * `run.failed` event each, so nothing is silently lost; runs this process holds (`isHeld`) are left
 * alone. Resolves with how many it marked. Call once at start.
 *
 * @example
 * ```ts
 * const lost = await recoverInterrupted({ store, log, policy }, (runId) => live.has(runId));
 * ```
 */
export async function recoverInterrupted(
  deps: RunRecoveryDeps,
  isHeld: (runId: string) => boolean,
): Promise<number> {
  const stale = (await deps.store.listRunsByStatus(['queued', 'running'])).filter((run) => !isHeld(run.id));
  for (const run of stale) {
    const session = await deps.store.getSession(run.session_id);
    if (!session) continue;
    const error = { ...INTERRUPTED };
    const ts = nowIso();
    await deps.log.commit({
      session_id: run.session_id,
      trace_id: session.trace_id,
      runs: [
        {
          ...run,
          status: 'failed',
          error,
          finished_at: ts,
          duration_ms: Date.parse(ts) - Date.parse(run.started_at ?? run.created_at),
        },
      ],
      patch: (current) => touch(deps.policy, current, { active_run_id: null }),
      events: [
        {
          type: 'run.failed',
          run_id: run.id,
          level: 'error',
          message: `run failed: ${error.message}`,
          meta: { ...error },
        },
      ],
    });
  }
  return stale.length;
}
