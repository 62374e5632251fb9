import { createApiKeyLookup } from '../http/api-key-lookup.ts';
import type { BridgeSocket } from './bridge-server.ts';

/** A refused handshake: the client's `connect_error` carries the message and `data.code`. */
export interface HandshakeError extends Error {
  data: { code: 'UNAUTHORIZED' };
}

/**
 * The `io.use` middleware that checks the handshake's `auth: { token }` against API_KEYS (the same
 * constant-time lookup as HTTP) and keeps the key's user on `socket.data.user`. With no keys
 * configured every connection is let in as no user (the gateway is open, as over HTTP).
 *
 * @example
 * ```ts
 * io.use(authenticateSocket(config.API_KEYS));
 * // client: io(url, { auth: { token: 'k3y-0001' } })
 * ```
 */
export function authenticateSocket(
  apiKeys: ReadonlyMap<string, string>,
): (socket: BridgeSocket, next: (error?: Error) => void) => void {
  const userOf = createApiKeyLookup(apiKeys);
  const open = apiKeys.size === 0;
  return (socket, next) => {
    if (open) {
      socket.data.user = null;
      return next();
    }
    const auth: Record<string, unknown> = socket.handshake.auth;
    const token = auth.token;
    if (typeof token !== 'string' || token === '')
      return next(refused('missing API key: connect with auth: { token: <key> }'));
    const user = userOf(token);
    if (user === null) return next(refused('invalid API key'));
    socket.data.user = user;
    next();
  };
}

function refused(message: string): HandshakeError {
  return Object.assign(new Error(message), { data: { code: 'UNAUTHORIZED' as const } });
}
