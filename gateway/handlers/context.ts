import type { Runtime, Session } from '../../core/index.ts';
import { readableSession } from '../session-access.ts';
import { HttpProblem } from '../http/problem.ts';
import type { OpenApiDocument } from '../http/openapi-document.ts';
import type { components } from '../../openapi/schema.d.ts';

/** What every handler may use. */
export interface HandlerDeps {
  runtime: Runtime;
  spec: OpenApiDocument;
  /** Milliseconds between SSE heartbeat comments. */
  heartbeatMs: number;
  /** `INTERNAL_TOKEN`: with API keys, what `GET /v1/stats?scope=all` asks of an operator. */
  internalToken?: string;
}

export type SessionResource = components['schemas']['Session'];

/** The session if the caller may see it (see {@link readableSession}). */
export function ownedSession(deps: HandlerDeps, user: string | null, sessionId: string): Promise<Session> {
  return readableSession(deps.runtime, user, sessionId);
}

/** The Session of the API: everything but the internal trace context. */
export function toSessionResource({ trace_parent: _internal, ...session }: Session): SessionResource {
  return session;
}

/** With API keys, a caller acts as its key's user: naming another user is refused. */
export function asUser(user: string | null, named: string | undefined, field: string): string | undefined {
  if (user === null) return named;
  if (named !== undefined && named !== user)
    throw new HttpProblem('FORBIDDEN', `${field} must be your own user (${user})`, [
      { field, message: 'not your user' },
    ]);
  return user;
}
