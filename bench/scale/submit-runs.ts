import type { Stats } from '../../core/index.ts';
import { SCALE_FLOW } from './stub-plugins.ts';

/** Run creations the client keeps in flight: enough to keep every queue full, few enough to stay cheap. */
export const SUBMIT_IN_FLIGHT = 16;
/** How often the client asks `/v1/stats` whether every run has finished. */
const POLL_MS = 25;
/** A case that has not finished in this long is stuck, not slow. */
const FINISH_TIMEOUT_MS = 300_000;

/** Runs by final status, as `/v1/stats` counts them. */
export interface Finished {
  completed: number;
  failed: number;
  cancelled: number;
}

async function createRun(apiUrl: string): Promise<void> {
  const response = await fetch(`${apiUrl}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ flow: SCALE_FLOW, input: { question: 'scale' } }),
  });
  const body = await response.text();
  if (response.status !== 202) throw new Error(`POST /v1/runs: ${response.status} ${body}`);
}

/** `n` runs, each in a new session (`POST /v1/runs` without `session_id`), at most `SUBMIT_IN_FLIGHT` at once. */
export async function submitRuns(apiUrl: string, n: number): Promise<void> {
  let next = 0;
  const submitter = async () => {
    while (next < n) {
      next += 1;
      await createRun(apiUrl);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SUBMIT_IN_FLIGHT, n) }, submitter));
}

export async function finishedRuns(apiUrl: string): Promise<Finished> {
  const response = await fetch(`${apiUrl}/v1/stats`);
  if (!response.ok) throw new Error(`GET /v1/stats: ${response.status} ${await response.text()}`);
  const { runs_by_status: runs } = (await response.json()) as Stats;
  return { completed: runs.completed, failed: runs.failed, cancelled: runs.cancelled };
}

/** Resolves once `/v1/stats` counts at least `total` finished runs (of any final status). */
export async function waitFinished(apiUrl: string, total: number): Promise<Finished> {
  const deadline = Date.now() + FINISH_TIMEOUT_MS;
  for (;;) {
    const finished = await finishedRuns(apiUrl);
    if (finished.completed + finished.failed + finished.cancelled >= total) return finished;
    if (Date.now() > deadline)
      throw new Error(
        `only ${JSON.stringify(finished)} of ${total} runs finished after ${FINISH_TIMEOUT_MS} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
