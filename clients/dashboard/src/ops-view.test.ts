import { describe, expect, it } from 'vitest';
import { minuteChart, minuteLabel, mayRefresh, scopeLabel, type RecentRuns } from './ops-view.ts';

const minute = (i: number, completed = 0, failed = 0, cancelled = 0) => ({
  minute: new Date(Date.UTC(2026, 0, 1, 12, i)).toISOString(),
  finished: completed + failed + cancelled,
  by_status: { completed, failed, cancelled },
});
const recent = (per_minute: RecentRuns['per_minute']): RecentRuns => ({
  window_s: per_minute.length * 60,
  per_minute,
  duration_ms: { p50: null, p99: null },
});

describe('minuteChart', () => {
  it('gives one bar per minute, oldest left, scaled to the busiest minute and stacked by status', () => {
    const chart = minuteChart(recent([minute(0), minute(1, 2, 1, 1), minute(2, 1)]), 300, 100);
    expect(chart.max).toBe(4);
    expect(chart.total).toBe(5);
    expect(chart.bars.map((b) => b.finished)).toEqual([0, 4, 1]);
    expect(chart.bars.map((b) => b.x)).toEqual([10, 110, 210]);
    expect(chart.bars[0]?.segments).toEqual([]);
    // The busiest minute fills the height: completed at the bottom, then failed, then cancelled.
    expect(chart.bars[1]?.segments).toEqual([
      { status: 'completed', count: 2, y: 50, height: 50 },
      { status: 'failed', count: 1, y: 25, height: 25 },
      { status: 'cancelled', count: 1, y: 0, height: 25 },
    ]);
    expect(chart.bars[2]?.segments).toEqual([{ status: 'completed', count: 1, y: 75, height: 25 }]);
  });

  it('keeps a scale of at least one run when no minute has any', () => {
    const chart = minuteChart(recent([minute(0), minute(1)]), 100, 50);
    expect(chart.max).toBe(1);
    expect(chart.total).toBe(0);
    expect(chart.bars.every((b) => b.segments.length === 0)).toBe(true);
  });
});

describe('minuteLabel', () => {
  it('says the counts in words', () => {
    expect(minuteLabel(minute(4, 2, 1))).toMatch(/^\d\d:\d\d: 3 runs finished \(2 completed, 1 failed\)$/);
    expect(minuteLabel(minute(4, 0, 0, 1))).toMatch(/: 1 run finished \(1 cancelled\)$/);
    expect(minuteLabel(minute(4))).toMatch(/: no runs finished$/);
  });
});

describe('mayRefresh', () => {
  it('never asks twice within a second, nor while a request is in flight', () => {
    expect(mayRefresh({ inFlight: false, lastAt: null }, 0)).toBe(true);
    expect(mayRefresh({ inFlight: false, lastAt: 10_000 }, 10_999)).toBe(false);
    expect(mayRefresh({ inFlight: false, lastAt: 10_000 }, 11_000)).toBe(true);
    expect(mayRefresh({ inFlight: true, lastAt: 0 }, 60_000)).toBe(false);
  });
});

describe('scopeLabel', () => {
  it("names a key's own sessions apart from everyone's", () => {
    expect(scopeLabel('user')).toBe("your key's sessions");
    expect(scopeLabel('all')).toBe("every user's sessions");
  });
});
