import type { FinishedRunSample } from '../store/session-store.ts';

/** How many minutes `GET /v1/stats` looks back for its `recent` activity. */
export const RECENT_MINUTES = 15;

const MINUTE_MS = 60_000;

/** The finished runs of one wall-clock minute. */
export interface RecentRunsMinute {
  /** The minute's start, ISO 8601 UTC (`2026-01-01T12:07:00.000Z`). */
  minute: string;
  /** Runs that finished in it, whatever their status. */
  finished: number;
  by_status: { completed: number; failed: number; cancelled: number };
}

/** `Stats.recent`: the runs finished over the last minutes, by minute, and their durations. */
export interface RecentRuns {
  /** The span `per_minute` covers, in seconds (its minutes times 60; the last minute is still going). */
  window_s: number;
  /** One entry per minute, oldest first, the current (partial) minute last; minutes without runs count 0. */
  per_minute: RecentRunsMinute[];
  /**
   * Nearest-rank percentiles of `duration_ms` (start to finish) over the runs of `per_minute` that
   * started; null when none did. A run cancelled while queued counts in `per_minute` only.
   */
  duration_ms: { p50: number | null; p99: number | null };
}

/**
 * The start of the oldest minute {@link recentRuns} covers at `nowMs`: what a store is asked for
 * (`finishedRuns({ since })`).
 *
 * @example
 * ```ts
 * recentSince(Date.parse('2026-01-01T12:14:30Z')); // '2026-01-01T12:00:00.000Z'
 * ```
 */
export function recentSince(nowMs: number, minutes = RECENT_MINUTES): string {
  return new Date(minuteStart(nowMs) - (minutes - 1) * MINUTE_MS).toISOString();
}

/**
 * Buckets finished runs by the wall-clock minute they finished in (the `minutes` minutes up to and
 * including the one of `nowMs`) and takes the p50 and p99 of their durations. Runs outside those
 * minutes are left out, so a store may hand over a few more than asked.
 *
 * @example
 * ```ts
 * const now = Date.parse('2026-01-01T12:14:30Z');
 * const recent = recentRuns([{ status: 'completed', started_at: '2026-01-01T12:14:01.1Z', finished_at: '2026-01-01T12:14:02Z', duration_ms: 900 }], now);
 * recent.per_minute.at(-1); // { minute: '2026-01-01T12:14:00.000Z', finished: 1, by_status: { completed: 1, failed: 0, cancelled: 0 } }
 * recent.duration_ms; // { p50: 900, p99: 900 }
 * ```
 */
export function recentRuns(
  samples: readonly FinishedRunSample[],
  nowMs: number,
  minutes = RECENT_MINUTES,
): RecentRuns {
  const first = minuteStart(nowMs) - (minutes - 1) * MINUTE_MS;
  const per_minute: RecentRunsMinute[] = Array.from({ length: minutes }, (_, i) => ({
    minute: new Date(first + i * MINUTE_MS).toISOString(),
    finished: 0,
    by_status: { completed: 0, failed: 0, cancelled: 0 },
  }));
  const durations: number[] = [];
  for (const sample of samples) {
    const index = Math.floor((Date.parse(sample.finished_at) - first) / MINUTE_MS);
    const bucket = per_minute[index];
    if (bucket === undefined) continue; // before the window, after now, or no date at all
    if (!(sample.status === 'completed' || sample.status === 'failed' || sample.status === 'cancelled'))
      continue;
    bucket.finished += 1;
    bucket.by_status[sample.status] += 1;
    if (
      sample.started_at !== null &&
      typeof sample.duration_ms === 'number' &&
      Number.isFinite(sample.duration_ms)
    ) {
      durations.push(sample.duration_ms);
    }
  }
  durations.sort((a, b) => a - b);
  return {
    window_s: minutes * 60,
    per_minute,
    duration_ms: { p50: nearestRank(durations, 50), p99: nearestRank(durations, 99) },
  };
}

function minuteStart(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** The nearest-rank percentile of ascending `sorted`: the smallest value with p % at or below it. */
function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}
