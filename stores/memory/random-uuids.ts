import { newIds } from '../../core/uuid.ts';

/**
 * `count` new ids of the kind the core makes (UUIDv7, see `newId`), for a store that makes many at
 * once and keeps them for long (the sweep's expiry events). Each is a flat string: `randomUUID()`
 * returns a rope that must be flattened before it is kept; 100,000 of them took ≈150 ms in the
 * sweep's expiry loop.
 *
 * @example
 * ```ts
 * const [a, b] = randomUuids(2); // '01a241cd-ba3f-75cd-aa22-f918908ef61c', …
 * ```
 */
export function randomUuids(count: number): string[] {
  return newIds(count);
}
