import { describe, expect, it } from 'vitest';
import { listFocusIndex } from './list-focus.ts';

describe('listFocusIndex', () => {
  it('moves down and up one item, stopping at the ends', () => {
    expect(listFocusIndex('ArrowDown', 0, 3)).toBe(1);
    expect(listFocusIndex('ArrowDown', 2, 3)).toBe(2);
    expect(listFocusIndex('ArrowUp', 2, 3)).toBe(1);
    expect(listFocusIndex('ArrowUp', 0, 3)).toBe(0);
  });

  it('jumps to the first and last item with Home and End', () => {
    expect(listFocusIndex('Home', 2, 3)).toBe(0);
    expect(listFocusIndex('End', 0, 3)).toBe(2);
  });

  it('leaves other keys and empty lists to the browser', () => {
    expect(listFocusIndex('Enter', 1, 3)).toBeNull();
    expect(listFocusIndex('Tab', 1, 3)).toBeNull();
    expect(listFocusIndex('ArrowDown', 0, 0)).toBeNull();
  });
});
