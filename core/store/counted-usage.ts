import type { Usage } from '../sessions/session.ts';

/**
 * The token counts a store adds to its `stats` totals for one session's `usage`: each count as
 * stored when it is a non-negative safe integer (what the API's `Usage` allows), 0 otherwise. One
 * rule for every store, so a damaged or missing count is left out the same way everywhere, and the
 * Redis counters (adjusted by INCRBY) only ever see integers.
 *
 * @example
 * ```ts
 * countedUsage({ tokens_in: 812, tokens_out: 365 }); // { tokens_in: 812, tokens_out: 365 }
 * countedUsage({ tokens_in: -1, tokens_out: 2.5 }); // { tokens_in: 0, tokens_out: 0 }
 * ```
 */
export function countedUsage(usage: Partial<Usage> | null | undefined): Usage {
  return { tokens_in: counted(usage?.tokens_in), tokens_out: counted(usage?.tokens_out) };
}

function counted(n: unknown): number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0;
}
