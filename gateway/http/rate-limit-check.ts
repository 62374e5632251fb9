import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { TributaryError } from '../../core/index.ts';
import { presentedApiKey } from './authenticate.ts';
import type { RequestLimiter } from './request-limiter.ts';

/** Counts one request against its caller's `RATE_LIMIT`; throws RATE_LIMITED (429) past it. */
export type RateLimitCheck = (ctx: Context) => Promise<void>;

/**
 * The per-request side of `RATE_LIMIT`, run after authentication: the caller is the API key (a
 * SHA-256 digest of it, so the key itself is never stored in Redis or logged), or the client's IP
 * when the gateway runs open. Every counted response carries the rate limit headers of
 * draft-ietf-httpapi-ratelimit-headers-07 (`RateLimit-Policy: 100;w=60`,
 * `RateLimit: limit=100, remaining=42, reset=17`); a refused one also carries `Retry-After`.
 *
 * @example
 * ```ts
 * const check = createRateLimitCheck(limiter, { open: config.API_KEYS.size === 0 });
 * await check(ctx); // throws RATE_LIMITED past the limit
 * ```
 */
export function createRateLimitCheck(limiter: RequestLimiter, options: { open: boolean }): RateLimitCheck {
  const { points, seconds } = limiter.limit;
  const policy = `${points};w=${seconds}`;
  return async (ctx) => {
    const caller = rateLimitCaller(options.open ? undefined : presentedApiKey(ctx), ctx.ip);
    const { allowed, remaining, resetSeconds } = await limiter.take(caller);
    ctx.set('RateLimit-Policy', policy);
    ctx.set('RateLimit', `limit=${points}, remaining=${remaining}, reset=${resetSeconds}`);
    if (allowed) return;
    ctx.set('Retry-After', String(resetSeconds));
    throw new TributaryError(
      'RATE_LIMITED',
      `more than ${points} requests in ${seconds} s; try again in ${resetSeconds} s`,
      { retryable: true, details: { limit: points, window_seconds: seconds, retry_after: resetSeconds } },
    );
  };
}

/**
 * Whom a request counts against: its API key, as enough of the key's SHA-256 to tell keys apart and
 * nothing that gives the key back, or its client IP on an open gateway (no key).
 *
 * @example
 * ```ts
 * rateLimitCaller('k3y-0001', '10.0.0.7'); // 'key:<32 hex digits>'
 * rateLimitCaller(undefined, '10.0.0.7');  // 'ip:10.0.0.7'
 * ```
 */
export function rateLimitCaller(apiKey: string | undefined, ip: string): string {
  if (apiKey === undefined) return `ip:${ip}`;
  return `key:${createHash('sha256').update(apiKey).digest('hex').slice(0, 32)}`;
}
