import { isFiltered, parseFilter, type TimelineFilter } from './timeline-filter.ts';

/** The localStorage key: one JSON object of filters by session id, the most recently set last. */
export const TIMELINE_FILTERS_KEY = 'tributary.timelineFilters';
/** Sessions whose filter is remembered; older ones are forgotten first. */
export const REMEMBERED_SESSIONS = 20;

/** The part of `Storage` the filters use: the browser's localStorage, or a stand-in in tests. */
export type FilterStorage = Pick<Storage, 'getItem' | 'setItem'>;

/**
 * The timeline filter last set for a session, or no filter. Unreadable storage (blocked, full of
 * garbage) means no filter, never a broken page.
 *
 * @example
 * ```ts
 * loadTimelineFilter(localStorage, sessionId); // { runId: null, types: ['step'], minLevel: 'debug', search: '' }
 * ```
 */
export function loadTimelineFilter(storage: FilterStorage, sessionId: string): TimelineFilter {
  return parseFilter(readAll(storage)[sessionId]);
}

/**
 * Remembers a session's filter (forgetting it when it filters nothing), keeping the
 * {@link REMEMBERED_SESSIONS} most recently set.
 *
 * @example
 * ```ts
 * saveTimelineFilter(localStorage, sessionId, { ...NO_FILTER, minLevel: 'warn' });
 * ```
 */
export function saveTimelineFilter(storage: FilterStorage, sessionId: string, filter: TimelineFilter): void {
  const all = readAll(storage);
  delete all[sessionId];
  if (isFiltered(filter)) all[sessionId] = filter;
  const kept = Object.entries(all).slice(-REMEMBERED_SESSIONS);
  try {
    storage.setItem(TIMELINE_FILTERS_KEY, JSON.stringify(Object.fromEntries(kept)));
  } catch {
    // Storage full or blocked: the filter still works, it is only not remembered.
  }
}

function readAll(storage: FilterStorage): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(TIMELINE_FILTERS_KEY) ?? '{}');
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
