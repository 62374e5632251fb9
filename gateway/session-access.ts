import { TributaryError, type Runtime, type Session } from '../core/index.ts';

/**
 * The session if `user` may read it. Another user's session is SESSION_NOT_FOUND, word for word
 * as for an unknown id, so no caller can probe for ids. The one ownership rule: the HTTP binder
 * applies it to every operation declared `session` or `body-session` (see `AccessRule`), and the
 * socket commands to every session they name.
 *
 * @example
 * ```ts
 * const session = await readableSession(runtime, socket.data.user, payload.session_id);
 * ```
 */
export async function readableSession(
  runtime: Runtime,
  user: string | null,
  sessionId: string,
): Promise<Session> {
  const session = await runtime.sessions.get(sessionId);
  if (user !== null && session.user_id !== user)
    throw new TributaryError('SESSION_NOT_FOUND', `session ${sessionId} not found`, { field: 'session_id' });
  return session;
}
