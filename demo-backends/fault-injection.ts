import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, Middleware } from 'koa';
import { ProblemError } from './problem.ts';

/** What a demo backend does to look like a real, imperfect service over a network. */
export interface FaultOptions {
  /** Delay before every request except health checks, in milliseconds. Default 0. */
  latencyMs?: number;
  /** Probability in [0, 1] that a request fails with 503 after the delay. Default 0. */
  failureRate?: number;
  /** Source of randomness in [0, 1); inject a fixed one for deterministic tests. Default `Math.random`. */
  random?: () => number;
}

/** The detail of every injected failure, so clients and tests can tell it from a real one. */
export const INJECTED_FAILURE = 'demo backend failure (injected)';

/**
 * Checks fault options up front, so a bad value fails at start-up, not on the first request.
 *
 * @example
 * ```ts
 * assertFaultOptions({ failureRate: 2 }); // throws RangeError: failureRate must be a number from 0 to 1, got 2
 * ```
 */
export function assertFaultOptions(options: FaultOptions): void {
  const { latencyMs = 0, failureRate = 0 } = options;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new RangeError(`latencyMs must be a finite number >= 0, got ${latencyMs}`);
  }
  if (!Number.isFinite(failureRate) || failureRate < 0 || failureRate > 1) {
    throw new RangeError(`failureRate must be a number from 0 to 1, got ${failureRate}`);
  }
}

/**
 * Koa middleware that waits `latencyMs`, then fails with a 503 problem with probability `failureRate`.
 * Requests for which `exempt` says true (health checks) pass straight through: a probe that
 * flapped with the injected failures would take the backend out of rotation for no real reason.
 *
 * @example
 * ```ts
 * app.use(faultInjection({ latencyMs: 200, failureRate: 0.1 }, (ctx) => ctx.path === '/healthz'));
 * ```
 */
export function faultInjection(options: FaultOptions, exempt: (ctx: Context) => boolean): Middleware {
  assertFaultOptions(options);
  const { latencyMs = 0, failureRate = 0, random = Math.random } = options;
  return async (ctx, next) => {
    if (exempt(ctx)) return next();
    if (latencyMs > 0) await sleep(latencyMs);
    // `random()` is below 1, so a rate of 1 always fails and a rate of 0 never does.
    if (failureRate > 0 && random() < failureRate) {
      throw new ProblemError(503, INJECTED_FAILURE, { title: 'Demo backend failure' });
    }
    return next();
  };
}
