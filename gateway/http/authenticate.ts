import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { createApiKeyLookup, secretDigest } from './api-key-lookup.ts';
import type { Authenticate } from './openapi-binder.ts';
import { HttpProblem } from './problem.ts';

export interface AuthOptions {
  /** API key to user id; empty runs the gateway open (local use). */
  apiKeys: ReadonlyMap<string, string>;
  /** The token `POST /v1/progress` needs; unset refuses every such call (403). */
  internalToken: string | undefined;
}

/**
 * Authentication from each operation's `security` in the spec: `apiKey` (Authorization: Bearer) or
 * `apiKeyHeader` (X-API-Key) map a key to its user; `internalToken` checks X-Internal-Token;
 * `security: []` is public. Keys are compared in constant time.
 *
 * @example
 * ```ts
 * const authenticate = createAuthenticate({ apiKeys: new Map([['k3y-0001', 'ann']]), internalToken: undefined });
 * ```
 */
export function createAuthenticate(options: AuthOptions): Authenticate {
  const userOf = createApiKeyLookup(options.apiKeys);
  const open = options.apiKeys.size === 0;
  const internal = options.internalToken === undefined ? undefined : secretDigest(options.internalToken);
  // The requirements are the operation's, fixed at bind time: decide what they ask for once, not per request.
  return (requirements) => {
    if (
      requirements.length === 0 ||
      requirements.some((alternative) => Object.keys(alternative).length === 0)
    )
      return () => null;
    const schemes = new Set(requirements.flatMap((alternative) => Object.keys(alternative)));
    return schemes.has('internalToken') ? internalCheck : keyCheck;
  };

  function internalCheck(ctx: Context): null {
    if (!internal)
      throw new HttpProblem('FORBIDDEN', 'progress ingestion is disabled: the server has no INTERNAL_TOKEN');
    const token = ctx.get('x-internal-token');
    if (!token) throw new HttpProblem('UNAUTHORIZED', 'missing X-Internal-Token header');
    if (!timingSafeEqual(secretDigest(token), internal))
      throw new HttpProblem('UNAUTHORIZED', 'invalid X-Internal-Token');
    return null;
  }

  function keyCheck(ctx: Context): string | null {
    if (open) return null;
    const presented = presentedApiKey(ctx);
    if (!presented)
      throw new HttpProblem(
        'UNAUTHORIZED',
        'missing API key: send Authorization: Bearer <key> or X-API-Key: <key>',
      );
    const user = userOf(presented);
    if (user === null) throw new HttpProblem('UNAUTHORIZED', 'invalid API key');
    return user;
  }
}

/**
 * The API key a request presents, `Authorization: Bearer <key>` first, then `X-API-Key`; checked or not.
 *
 * @example
 * ```ts
 * presentedApiKey(ctx); // 'k3y-0001' for `Authorization: Bearer k3y-0001`
 * ```
 */
export function presentedApiKey(ctx: Context): string | undefined {
  return bearer(ctx.get('authorization')) ?? (ctx.get('x-api-key') || undefined);
}

function bearer(header: string): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}
