/** Keys whose values are never stored, sent or logged (DESIGN.md: secrets never appear). */
// Matched against the end of a key so `tokens_in` or `max_tokens` stay visible while `access_token` does not.
const SECRET_KEY =
  /(^|[-_.])(api[-_]?key|apikey|passw(or)?d|token|authorization|auth|secrets?|cookie|credentials?|private[-_]?key)$/i;

export const REDACTED = '[redacted]';

/**
 * Returns a deep copy of `value` with secret-looking keys replaced by `"[redacted]"`.
 *
 * @example
 * ```ts
 * redact({ user: 'ann', api_key: 'k1', nested: { Authorization: 'Bearer x' } });
 * // { user: 'ann', api_key: '[redacted]', nested: { Authorization: '[redacted]' } }
 * ```
 */
/** True when a key names a secret (`api_key`, `X-API-Key`, `password`, `access_token`, …). */
export function isSecretKey(key: string): boolean {
  // camelCase words count as words too: `accessToken` and `clientSecret` are `access_Token` and `client_Secret`.
  return SECRET_KEY.test(key) || SECRET_KEY.test(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2'));
}

export function redact<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (value instanceof Date) return value.toISOString();
  // `seen` holds the objects on the path from the root only: an object met again in a sibling
  // (shared, not circular) is copied like any other.
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = isSecretKey(key) ? REDACTED : redactValue(inner, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
