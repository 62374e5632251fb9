import { describe, expect, it } from 'vitest';
import { recentRuns, recentSince } from '../../../core/runs/recent-runs.ts';
import type { FinishedRunSample } from '../../../core/store/session-store.ts';

const NOW = Date.parse('2026-01-01T12:14:30.000Z');
const done = (
  finished_at: string,
  duration_ms: number | null,
  status: FinishedRunSample['status'] = 'completed',
): FinishedRunSample => ({ status, started_at: '2026-01-01T11:00:00.000Z', finished_at, duration_ms });

describe('recentRuns', () => {
  it('asks the store from the start of the oldest minute shown', () => {
    expect(recentSince(NOW)).toBe('2026-01-01T12:00:00.000Z');
    expect(recentSince(NOW, 3)).toBe('2026-01-01T12:12:00.000Z');
  });

  it('has one zeroed bucket per minute, oldest first, the current one last, and no durations without runs', () => {
    const recent = recentRuns([], NOW, 3);
    expect(recent).toEqual({
      window_s: 180,
      per_minute: ['12:12', '12:13', '12:14'].map((m) => ({
        minute: `2026-01-01T${m}:00.000Z`,
        finished: 0,
        by_status: { completed: 0, failed: 0, cancelled: 0 },
      })),
      duration_ms: { p50: null, p99: null },
    });
  });

  it('counts each run in the minute it finished, by status, and leaves out runs outside the minutes', () => {
    const recent = recentRuns(
      [
        done('2026-01-01T12:12:00.000Z', 10), // the first instant of the window
        done('2026-01-01T12:12:59.999Z', 20, 'failed'),
        done('2026-01-01T12:14:29.000Z', 30, 'cancelled'),
        done('2026-01-01T12:14:01.000Z', 40),
        done('2026-01-01T12:11:59.999Z', 1000), // just before
        done('2026-01-01T12:15:00.000Z', 1000), // a clock ahead of ours: after the current minute
        done('not a date', 1000),
      ],
      NOW,
      3,
    );
    expect(recent.per_minute.map((m) => [m.finished, m.by_status])).toEqual([
      [2, { completed: 1, failed: 1, cancelled: 0 }],
      [0, { completed: 0, failed: 0, cancelled: 0 }],
      [2, { completed: 1, failed: 0, cancelled: 1 }],
    ]);
    expect(recent.duration_ms).toEqual({ p50: 20, p99: 40 });
  });

  it('takes nearest-rank percentiles over the runs that started and have a duration', () => {
    const samples = Array.from({ length: 200 }, (_, i) => done('2026-01-01T12:14:00.000Z', 200 - i));
    samples.push(done('2026-01-01T12:14:00.000Z', null));
    // Cancelled while queued: counted as finished, but no run time to speak of.
    samples.push({ ...done('2026-01-01T12:14:00.000Z', 0, 'cancelled'), started_at: null });
    const recent = recentRuns(samples, NOW);
    expect(recent.per_minute.at(-1)?.finished).toBe(202);
    // 1..200: the 100th and the 198th value.
    expect(recent.duration_ms).toEqual({ p50: 100, p99: 198 });
    expect(recentRuns([done('2026-01-01T12:14:00.000Z', 7)], NOW).duration_ms).toEqual({ p50: 7, p99: 7 });
  });

  it('never counts a run whose status is not a finished one', () => {
    const running = { ...done('2026-01-01T12:14:00.000Z', 5), status: 'running' } as const;
    expect(recentRuns([running], NOW, 1).per_minute[0]?.finished).toBe(0);
  });
});
