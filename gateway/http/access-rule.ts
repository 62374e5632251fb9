import type { Session } from '../../core/index.ts';

/**
 * Who may call an operation. Every operation declares one in the handler table and the binder
 * enforces it before the handler runs, so a handler cannot forget the check:
 * - `session`: the path names `{session_id}`; the session is read and checked against the caller
 *   (another user's is SESSION_NOT_FOUND, word for word as an unknown id) and the handler gets it
 *   as `request.session`.
 * - `body-session`: `body.session_id`, when given, is checked the same way; without one the
 *   handler acts as the caller (`POST /v1/runs` creating the session).
 * - `caller`: names no session; the handler scopes what it reads or writes to the caller's user.
 * - `internal`: the internal token's holder (`security: internalToken`), who may act on any session.
 * - `none`: reads no user's data (the catalogue, health, the spec); authentication alone decides.
 */
export type AccessRule = (typeof ACCESS_RULES)[number];

export const ACCESS_RULES = ['session', 'body-session', 'caller', 'internal', 'none'] as const;

/** The one ownership check, shared by HTTP operations and socket commands: the session if `user` may read it. */
export type ReadableSession = (user: string | null, sessionId: string) => Promise<Session>;

/** What the binder knows of an operation when it checks the rule the operation declares. */
export interface DeclaredAccess {
  /** `createRun (POST /v1/sessions/{session_id}/runs)`, for the error message. */
  readonly label: string;
  readonly declared: unknown;
  readonly path: string;
  /** The security schemes the spec requires of the operation. */
  readonly schemes: ReadonlySet<string>;
  /** Whether the request body's schema has a `session_id` property. */
  readonly bodyNamesSession: boolean;
}

/**
 * The operation's access rule, checked against its spec at bind time: a missing or unknown rule,
 * `{session_id}` in the path without `session`, `session` without it, an internal-token operation
 * not declared `internal` (or the reverse), or `body-session` without `body.session_id` stops the start.
 *
 * @example
 * ```ts
 * accessRuleOf({ label: 'getSession (GET /v1/sessions/{session_id})', declared: 'session',
 *   path: '/v1/sessions/{session_id}', schemes: new Set(['apiKey']), bodyNamesSession: false }); // 'session'
 * ```
 */
export function accessRuleOf(operation: DeclaredAccess): AccessRule {
  const { label, declared } = operation;
  const known: readonly unknown[] = ACCESS_RULES;
  if (declared === undefined)
    throw new Error(`operation ${label} declares no access rule (one of ${ACCESS_RULES.join(', ')})`);
  if (!known.includes(declared))
    throw new Error(
      `operation ${label} declares an unknown access rule ${JSON.stringify(declared)} (one of ${ACCESS_RULES.join(', ')})`,
    );
  const rule = declared as AccessRule;
  const namesSession = operation.path.includes('{session_id}');
  if (namesSession !== (rule === 'session'))
    throw new Error(
      namesSession
        ? `operation ${label} has {session_id} in its path, so its access rule must be 'session', not '${rule}'`
        : `operation ${label} has no {session_id} in its path, so its access rule cannot be 'session'`,
    );
  const internal = operation.schemes.has('internalToken');
  if (internal !== (rule === 'internal'))
    throw new Error(
      internal
        ? `operation ${label} is secured by the internal token, so its access rule must be 'internal', not '${rule}'`
        : `operation ${label} is not secured by the internal token, so its access rule cannot be 'internal'`,
    );
  if (rule === 'body-session' && !operation.bodyNamesSession)
    throw new Error(`operation ${label} declares 'body-session' but its request body has no session_id`);
  return rule;
}
