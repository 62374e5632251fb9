import { describe, expect, it } from 'vitest';
import { NO_FILTER } from './timeline-filter.ts';
import {
  loadTimelineFilter,
  REMEMBERED_SESSIONS,
  saveTimelineFilter,
  TIMELINE_FILTERS_KEY,
  type FilterStorage,
} from './timeline-filter-store.ts';

/** localStorage as far as the filters use it. */
function memoryStorage(initial: Record<string, string> = {}): FilterStorage & { items: Map<string, string> } {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
  };
}

describe('timeline filter storage', () => {
  it('gives back the filter saved for a session, and no filter to another', () => {
    const storage = memoryStorage();
    const filter = { runId: 'r1', types: ['step'], minLevel: 'warn' as const, search: 'rag' };
    saveTimelineFilter(storage, 's1', filter);
    expect(loadTimelineFilter(storage, 's1')).toEqual(filter);
    expect(loadTimelineFilter(storage, 's2')).toEqual(NO_FILTER);
  });

  it('forgets a session whose filter was cleared', () => {
    const storage = memoryStorage();
    saveTimelineFilter(storage, 's1', { ...NO_FILTER, search: 'x' });
    saveTimelineFilter(storage, 's1', NO_FILTER);
    expect(JSON.parse(storage.items.get(TIMELINE_FILTERS_KEY)!)).toEqual({});
  });

  it('keeps the most recently set sessions only', () => {
    const storage = memoryStorage();
    for (let i = 0; i <= REMEMBERED_SESSIONS; i++)
      saveTimelineFilter(storage, `s${i}`, { ...NO_FILTER, search: `${i}` });
    // s0 again: it becomes the most recent, s1 is the one forgotten.
    saveTimelineFilter(storage, 's0', { ...NO_FILTER, search: 'again' });
    const kept = Object.keys(JSON.parse(storage.items.get(TIMELINE_FILTERS_KEY)!) as object);
    expect(kept).toHaveLength(REMEMBERED_SESSIONS);
    expect(kept).not.toContain('s1');
    expect(kept.at(-1)).toBe('s0');
  });

  it('reads garbage as no filter, and a storage that refuses writes does not throw', () => {
    expect(loadTimelineFilter(memoryStorage({ [TIMELINE_FILTERS_KEY]: '{not json' }), 's1')).toEqual(
      NO_FILTER,
    );
    expect(loadTimelineFilter(memoryStorage({ [TIMELINE_FILTERS_KEY]: '[1]' }), 's1')).toEqual(NO_FILTER);
    const full: FilterStorage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(() => saveTimelineFilter(full, 's1', { ...NO_FILTER, search: 'x' })).not.toThrow();
  });
});
