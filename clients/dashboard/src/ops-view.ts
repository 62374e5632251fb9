import type { components } from '../../../openapi/schema.d.ts';

export type Stats = components['schemas']['Stats'];
export type RecentRuns = components['schemas']['RecentRuns'];

/** The operations view's own hash route. */
export const OPS_HASH = '#/ops';
/** How often the view asks `GET /v1/stats` while the page is visible. */
export const OPS_REFRESH_MS = 2000;
/** The closest two requests may follow each other, whatever asks (timer, tab shown, key changed). */
export const OPS_MIN_GAP_MS = 1000;

/** The finished statuses a bar is stacked from, bottom up. */
export const FINISHED_STATUSES = ['completed', 'failed', 'cancelled'] as const;
export type FinishedStatus = (typeof FINISHED_STATUSES)[number];

/** One status's part of a minute's bar, in the chart's own units (see {@link minuteChart}). */
export interface BarSegment {
  status: FinishedStatus;
  count: number;
  y: number;
  height: number;
}

/** One minute's bar. */
export interface MinuteBar {
  minute: string;
  finished: number;
  x: number;
  width: number;
  segments: BarSegment[];
  /** What the bar says in words (its tooltip and the screen reader's text). */
  label: string;
}

export interface MinuteChart {
  width: number;
  height: number;
  /** The top of the scale: the busiest minute's count, at least 1. */
  max: number;
  bars: MinuteBar[];
  /** Runs finished over every minute shown. */
  total: number;
}

/**
 * Whether a stats request may go now: none is in flight and the last one started at least
 * {@link OPS_MIN_GAP_MS} ago, so timers, tab switches and key changes together never ask more than
 * about once a second.
 *
 * @example
 * ```ts
 * mayRefresh({ inFlight: false, lastAt: 10_000 }, 10_500); // false
 * mayRefresh({ inFlight: false, lastAt: 10_000 }, 11_000); // true
 * ```
 */
export function mayRefresh(state: { inFlight: boolean; lastAt: number | null }, now: number): boolean {
  if (state.inFlight) return false;
  return state.lastAt === null || now - state.lastAt >= OPS_MIN_GAP_MS;
}

/**
 * Lays out `recent.per_minute` as stacked bars in a `width` × `height` box (SVG user units): one bar
 * per minute, oldest on the left, each split by status bottom up (completed, failed, cancelled), on a
 * scale whose top is the busiest minute.
 *
 * @example
 * ```ts
 * const chart = minuteChart(stats.recent, 300, 100);
 * chart.bars.at(-1); // { minute: '…T12:14:00.000Z', finished: 3, segments: [{ status: 'completed', count: 2, … }, …], … }
 * ```
 */
export function minuteChart(recent: RecentRuns, width: number, height: number): MinuteChart {
  const minutes = recent.per_minute;
  const max = Math.max(1, ...minutes.map((m) => m.finished));
  const slot = minutes.length === 0 ? width : width / minutes.length;
  // A gap between bars, so neighbouring minutes read as two.
  const barWidth = Math.max(1, slot * 0.8);
  const bars = minutes.map((m, i): MinuteBar => {
    let top = height;
    const segments: BarSegment[] = [];
    for (const status of FINISHED_STATUSES) {
      const count = m.by_status[status];
      if (count === 0) continue;
      const segmentHeight = (count / max) * height;
      top -= segmentHeight;
      segments.push({ status, count, y: top, height: segmentHeight });
    }
    return {
      minute: m.minute,
      finished: m.finished,
      x: i * slot + (slot - barWidth) / 2,
      width: barWidth,
      segments,
      label: minuteLabel(m),
    };
  });
  return { width, height, max, bars, total: minutes.reduce((sum, m) => sum + m.finished, 0) };
}

/** `12:14: 3 runs finished (2 completed, 1 failed)`, in the browser's time zone. */
export function minuteLabel(minute: RecentRuns['per_minute'][number]): string {
  const parts = FINISHED_STATUSES.filter((s) => minute.by_status[s] > 0).map(
    (s) => `${minute.by_status[s]} ${s}`,
  );
  const runs = `${minute.finished} run${minute.finished === 1 ? '' : 's'} finished`;
  return `${clockMinute(minute.minute)}: ${parts.length === 0 ? 'no runs finished' : `${runs} (${parts.join(', ')})`}`;
}

/** `12:14` in the browser's time zone. */
export function clockMinute(iso: string): string {
  const date = new Date(iso);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** Who the figures are of, in words: a key's own sessions, or every user's. */
export function scopeLabel(scope: Stats['scope']): string {
  return scope === 'user' ? "your key's sessions" : "every user's sessions";
}
