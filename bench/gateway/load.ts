import { Worker } from 'node:worker_threads';
import { median } from '../lib/measure.ts';

/** Requests in flight at once. */
export const CONCURRENCY = 32;
/** Untimed load on each server first, so the JIT, the sockets and the caches are warm. */
export const WARMUP_MS = 1_000;
/** Measured time per server, split into rounds that alternate between the two servers. */
export const DURATION_MS = 3_000;
export const ROUNDS = 3;
/** Untimed load at the start of each round, on new sockets. */
const ROUND_WARMUP_MS = 100;

export interface LoadTarget {
  url: string;
  method: 'GET' | 'POST';
  /** Sent as `application/json`. */
  body?: string;
  /** The status every answer must have; any other counts as a failure. */
  expectStatus: number;
}

/**
 * Requests per second `target` answers under {@link CONCURRENCY} keep-alive requests in flight,
 * untimed for `warmupMs`, then measured for `durationMs`, by a worker thread (off the server's event
 * loop). Throws when any request fails: a rate of errors is not a rate of work.
 */
export async function requestsPerSecond(
  target: LoadTarget,
  warmupMs: number,
  durationMs: number,
): Promise<number> {
  const worker = new Worker(new URL('./load-worker.mjs', import.meta.url), {
    workerData: { ...target, concurrency: CONCURRENCY, warmupMs, durationMs },
    execArgv: [],
  });
  const result = await new Promise<{ ok: number; failed: number; seconds: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load worker exited with ${code} before reporting`)));
  });
  await worker.terminate();
  if (result.failed > 0) {
    throw new Error(
      `${target.method} ${target.url}: ${result.failed} of ${result.ok + result.failed} requests failed`,
    );
  }
  return result.ok / result.seconds;
}

/**
 * Req/s of `measured` and of `baseline`: each warmed up for {@link WARMUP_MS}, then {@link ROUNDS}
 * rounds that alternate between them (so drift in the machine's load touches both alike), each
 * round a slice of {@link DURATION_MS}; the median round of each is reported.
 */
export async function compareRates(
  measured: LoadTarget,
  baseline: LoadTarget,
): Promise<{ value: number; baseline: number }> {
  await requestsPerSecond(measured, 0, WARMUP_MS);
  await requestsPerSecond(baseline, 0, WARMUP_MS);
  const slice = DURATION_MS / ROUNDS;
  const values: number[] = [];
  const baselines: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    values.push(await requestsPerSecond(measured, ROUND_WARMUP_MS, slice));
    baselines.push(await requestsPerSecond(baseline, ROUND_WARMUP_MS, slice));
  }
  return { value: median(values), baseline: median(baselines) };
}
