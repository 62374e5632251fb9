/** The keys that move focus within a list of buttons, as in a listbox (WAI-ARIA practices). */
export type ListFocusKey = 'ArrowDown' | 'ArrowUp' | 'Home' | 'End';

/**
 * Where focus goes in a list of `count` items when `key` is pressed on item `index`: the next or
 * previous one (staying at the ends rather than wrapping, so holding a key never jumps back), the
 * first or the last. Null for any other key, or an empty list: the key is left to the browser.
 *
 * @example
 * ```ts
 * listFocusIndex('ArrowDown', 0, 3); // 1
 * listFocusIndex('End', 0, 3); // 2
 * listFocusIndex('Enter', 0, 3); // null
 * ```
 */
export function listFocusIndex(key: string, index: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case 'ArrowDown':
      return Math.min(index + 1, count - 1);
    case 'ArrowUp':
      return Math.max(index - 1, 0);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/**
 * A `keydown` listener for a list whose items are buttons or links (the sessions list, the runs
 * list): arrow keys, Home and End move focus between them; Tab leaves the list and Enter (or Space
 * on a button) activates the item, as the browser does anyway.
 *
 * @example
 * ```ts
 * html`<ul @keydown=${moveListFocus}>…</ul>`;
 * ```
 */
export function moveListFocus(event: KeyboardEvent): void {
  const list = event.currentTarget as HTMLElement;
  const items = [...list.querySelectorAll<HTMLElement>('button, a[href]')];
  const index = items.indexOf(event.target as HTMLElement);
  if (index < 0) return;
  const next = listFocusIndex(event.key, index, items.length);
  if (next === null) return;
  // The page must not scroll as well: the arrow moved the focus instead.
  event.preventDefault();
  items[next]!.focus();
}
