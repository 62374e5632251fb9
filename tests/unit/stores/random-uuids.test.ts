import { describe, expect, it } from 'vitest';
import { randomUuids } from '../../../stores/memory/random-uuids.ts';

describe('randomUuids', () => {
  it('makes distinct uuids of the kind the core makes (version 7)', () => {
    const ids = randomUuids(2000);
    expect(ids).toHaveLength(2000);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(2000);
    // Every variant nibble and every hex digit elsewhere turns up: the bits are not stuck.
    expect(new Set(ids.map((id) => id[19])).size).toBe(4);
    expect(new Set(ids.join('').replace(/-/g, '')).size).toBe(16);
  });

  it('makes none for a count of 0', () => {
    expect(randomUuids(0)).toEqual([]);
  });
});
