import { afterEach, describe, expect, it, vi } from 'vitest';
import { newId, newIds } from '../../../core/uuid.ts';

/** RFC 9562 UUIDv7: version digit 7, variant digit one of 8, 9, a, b; lowercase. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The Unix ms an id carries in its first 48 bits. */
const msOf = (id: string): number => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe('newId', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('makes distinct version-7 uuids carrying the current time, with random bits elsewhere', () => {
    const before = Date.now();
    const ids = Array.from({ length: 3000 }, () => newId());
    const after = Date.now();
    for (const id of ids) {
      expect(id).toMatch(UUID_V7);
      expect(msOf(id)).toBeGreaterThanOrEqual(before);
      expect(msOf(id)).toBeLessThanOrEqual(after);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Every variant digit and every hex digit of the random part turns up: the bits are not stuck.
    expect(new Set(ids.map((id) => id[19])).size).toBe(4);
    for (const at of [15, 16, 17, 20, 21, 22, 24, 30, 35])
      expect(new Set(ids.map((id) => id[at])).size, `char ${at}`).toBe(16);
  });

  it('sorts ids by creation time across milliseconds, as strings', () => {
    vi.useFakeTimers();
    // Times that carry into every digit of the timestamp, some 1 ms apart, up to the last 48-bit ms.
    const times = [
      0,
      1,
      15,
      16,
      255,
      256,
      0xffffff,
      0x1000000,
      1_764_806_400_000,
      1_764_806_400_001,
      2 ** 48 - 1,
    ];
    const made = times.flatMap((ms) => {
      vi.setSystemTime(ms);
      return [newId(), newId(), newId()].map((id) => ({ ms, id }));
    });
    for (const { ms, id } of made) expect(msOf(id)).toBe(ms);
    for (const earlier of made)
      for (const later of made) if (earlier.ms < later.ms) expect(earlier.id < later.id).toBe(true);
  });
});

describe('newIds', () => {
  it('makes as many distinct version-7 uuids as asked', () => {
    const ids = newIds(2000);
    expect(ids).toHaveLength(2000);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(2000);
    // Every variant nibble and every hex digit elsewhere turns up: the bits are not stuck.
    expect(new Set(ids.map((id) => id[19])).size).toBe(4);
    expect(new Set(ids.join('').replace(/-/g, '')).size).toBe(16);
  });

  it('makes none for a count of 0', () => {
    expect(newIds(0)).toEqual([]);
  });
});
