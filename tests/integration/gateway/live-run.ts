import { expect } from 'vitest';
import type { Run } from '../../../core/index.ts';
import type { TributaryClient } from '../../../clients/api-client.ts';

/** A `tick` run (TEST_PLUGINS) whose first tick is an hour away: live and silent until cancelled. */
const QUIET = { input: { question: 'wait', everyMs: 3_600_000 }, flow: 'tick' } as const;

/** Starts a run that stays live until {@link endRun}. */
export async function startLiveRun(api: TributaryClient, sessionId: string): Promise<Run> {
  const { data, response } = await api.POST('/v1/sessions/{session_id}/runs', {
    params: { path: { session_id: sessionId } },
    body: QUIET,
  });
  expect(response.status).toBe(202);
  return data as Run;
}

/** Cancels a live run; resolves once its `run.cancelled` is stored. */
export async function endRun(api: TributaryClient, sessionId: string, runId: string): Promise<void> {
  const { response } = await api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
    params: { path: { session_id: sessionId, run_id: runId } },
  });
  expect(response.status).toBe(202);
}
