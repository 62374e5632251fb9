/** Timing and heap helpers shared by every bench module. */

export interface SampleOptions {
  /** Untimed runs first, so the JIT and the caches are warm. */
  warmup: number;
  /** Timed runs; the median of their results is reported. */
  runs: number;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  const lower = sorted[mid - 1] ?? upper;
  return sorted.length % 2 === 1 ? upper : (lower + upper) / 2;
}

/** Runs `measure` `warmup` times, then `runs` times back to back, and returns the median result. */
export async function sample(options: SampleOptions, measure: () => Promise<number>): Promise<number> {
  for (let i = 0; i < options.warmup; i += 1) await measure();
  const results: number[] = [];
  for (let i = 0; i < options.runs; i += 1) results.push(await measure());
  return median(results);
}

export interface Compared {
  value: number;
  baseline: number;
}

/**
 * Measures a subject against its baseline: both warmed up, then timed runs alternate between them
 * (so drift in the machine touches both alike), and the median of each is returned.
 */
export async function compare(
  options: SampleOptions,
  subject: () => Promise<number>,
  baseline: () => Promise<number>,
): Promise<Compared> {
  for (let i = 0; i < options.warmup; i += 1) {
    await subject();
    await baseline();
  }
  const values: number[] = [];
  const baselines: number[] = [];
  for (let i = 0; i < options.runs; i += 1) {
    // A collection first, so neither side pays for the garbage the other left behind.
    globalThis.gc?.();
    values.push(await subject());
    globalThis.gc?.();
    baselines.push(await baseline());
  }
  return { value: median(values), baseline: median(baselines) };
}

/** Milliseconds `work` takes, by the monotonic clock. */
export async function timeMs(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** True when the process runs with `--expose-gc`. */
export function canCollect(): boolean {
  return typeof globalThis.gc === 'function';
}

/** Full collections with a turn of the event loop between them, until the heap stops shrinking. */
export async function settledHeapUsed(): Promise<number> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('heap measurements need node --expose-gc (bench/run.ts re-spawns with it)');
  let previous = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i += 1) {
    gc();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const used = process.memoryUsage().heapUsed;
    if (i >= 2 && used >= previous - 1024) return used;
    previous = used;
  }
  return process.memoryUsage().heapUsed;
}
