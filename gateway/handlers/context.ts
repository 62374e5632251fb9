import type { Runtime, Session } from '../../core/index.ts';
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

/**
 * The Session of the API: everything but the internal trace context. The return type is the spec's,
 * so core's `Session` drifting from `openapi.yaml` is a compile error here.
 */
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
