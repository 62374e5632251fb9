import { rateLimitCaller } from '../http/rate-limit-check.ts';
import type { RequestLimiter } from '../http/request-limiter.ts';
import type { BridgeSocket } from './bridge-server.ts';

/** A handshake refused for the rate: the client's `connect_error` carries the message and `data`. */
export interface RateLimitedHandshake extends Error {
  data: { code: 'RATE_LIMITED'; retry_after: number };
}

/**
 * The `io.use` middleware of `RATE_LIMIT` for Socket.IO, after {@link authenticateSocket}: each
 * handshake (a new connection, or a reconnect) counts once against its API key (per client IP on an
 * open gateway), in the same count as HTTP calls; the commands sent on an open connection do not
 * count. Past the limit the handshake is refused with `data.code: 'RATE_LIMITED'`.
 *
 * @example
 * ```ts
 * io.use(authenticateSocket(config.API_KEYS));
 * io.use(limitHandshake(limiter, { open: config.API_KEYS.size === 0 }));
 * ```
 */
export function limitHandshake(
  limiter: RequestLimiter,
  options: { open: boolean },
): (socket: BridgeSocket, next: (error?: Error) => void) => void {
  const { points, seconds } = limiter.limit;
  return (socket, next) => {
    const token: unknown = socket.handshake.auth.token;
    const apiKey = options.open || typeof token !== 'string' ? undefined : token;
    limiter.take(rateLimitCaller(apiKey, socket.handshake.address)).then(
      ({ allowed, resetSeconds }) => {
        if (allowed) return next();
        const message = `more than ${points} requests in ${seconds} s; try again in ${resetSeconds} s`;
        const refused: RateLimitedHandshake = Object.assign(new Error(message), {
          data: { code: 'RATE_LIMITED' as const, retry_after: resetSeconds },
        });
        next(refused);
      },
      (error: unknown) => next(error instanceof Error ? error : new Error(String(error))),
    );
  };
}
