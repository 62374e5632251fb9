import { put } from './well-formed.ts';

/**
 * Keys whose values are never stored, sent or logged (docs/core.md, "Redaction").
 *
 * A key is read as words, whatever its case style: split at anything but a letter and at camelCase
 * boundaries, then lower-cased (`aws_secret_access_key`, `clientSecretKey`, `SECRET-KEY`,
 * `openai.api_key`, `X-API-Key` all become word lists). It names a secret when any word does, wherever
 * the word stands:
 * - always: {@link SECRET_WORDS} (`password`, `pwd`, `passphrase`, `secret`, `credentials`,
 *   `authorization`, `cookie`, …) and the one-word spellings in {@link JOINED} (`apikey`, `accesstoken`);
 * - `token`, unless the next word counts tokens (`token_count`, `token_usage`); the plural `tokens`
 *   only after a credential kind (`access_tokens`), since `tokens_in` and `max_tokens` are usage;
 * - `key`/`keys` after a word in {@link KEY_KINDS} (`api_key`, `secret_key`, `access_key`,
 *   `private_key`, `session_key`); a bare `key`, `primary_key` or `public_key` is no secret;
 * - `auth` as the last word or before `header` (`auth`, `basic_auth`, `auth_header`), since
 *   `auth_type` or `auth_provider` are settings.
 * `session` is no secret word: `session`, `session_id` are core data, while `session_token`,
 * `session_secret` and `session_cookie` are caught by their other word.
 */
const SECRET_WORDS = new Set([
  'password',
  'passwords',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'secrets',
  'credential',
  'credentials',
  'authorization',
  'cookie',
  'cookies',
]);

/** One-word spellings (`APIKEY`, `accesstoken`, `dbpassword`, `clientsecret`) of what is otherwise two words. */
const JOINED =
  /password|passwd|passphrase|secrets?$|credentials?$|cookies?$|(api|access|secret|private)keys?$|(access|refresh|auth|session|bearer|id)tokens?$/;

/** Words that make a following `key`/`keys` a secret. */
const KEY_KINDS = new Set([
  'api',
  'access',
  'secret',
  'private',
  'client',
  'session',
  'signing',
  'encryption',
  'master',
  'auth',
]);

/** Words that make a preceding `token` a count, not a credential. */
const TOKEN_COUNTS = new Set(['count', 'counts', 'usage', 'limit', 'limits', 'budget', 'total', 'totals']);

/** Words that make a following `tokens` credentials, not a count. */
const TOKEN_KINDS = new Set(['access', 'refresh', 'auth', 'api', 'session', 'bearer', 'id', 'oauth', 'csrf']);

export const REDACTED = '[redacted]';

/** The words of a key: `clientSecretKey`, `CLIENT_SECRET_KEY` and `client-secret.key` all give client, secret, key. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((word) => word !== '');
}

function namesSecret(key: string): boolean {
  const list = words(key);
  for (let i = 0; i < list.length; i++) {
    const word = list[i] as string;
    const before = list[i - 1];
    const after = list[i + 1];
    if (SECRET_WORDS.has(word)) return true;
    if (word === 'token') {
      if (after === undefined || !TOKEN_COUNTS.has(after)) return true;
    } else if (word === 'tokens') {
      if (before !== undefined && TOKEN_KINDS.has(before)) return true;
    } else if (word === 'key' || word === 'keys') {
      if (before !== undefined && KEY_KINDS.has(before)) return true;
    } else if (word === 'auth') {
      if (after === undefined || after === 'header' || after === 'headers') return true;
    } else if (JOINED.test(word)) {
      return true;
    }
  }
  return false;
}

/** Verdicts of keys seen before: events repeat the same few keys, and splitting one costs a few regexps. */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 4096;
/** Longer keys are judged each time, so the memo stays small whatever callers send. */
const MAX_REMEMBERED_KEY = 64;

/** True when a key names a secret (`api_key`, `X-API-Key`, `secretKey`, `aws_secret_access_key`, `pwd`, …). */
export function isSecretKey(key: string): boolean {
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const verdict = namesSecret(key);
  if (key.length <= MAX_REMEMBERED_KEY) {
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

/**
 * Returns a deep copy of `value` with secret-looking keys replaced by `"[redacted]"`.
 *
 * @example
 * ```ts
 * redact({ user: 'ann', api_key: 'k1', nested: { Authorization: 'Bearer x' } });
 * // { user: 'ann', api_key: '[redacted]', nested: { Authorization: '[redacted]' } }
 * ```
 */
export function redact<T>(value: T): T {
  return redactValue(value, undefined) as T;
}

/**
 * `path`: the objects from the root down to `value`'s parent, made at the first object met. An
 * array, not a WeakSet: it is a few entries deep, and a WeakSet per call (one per event's `meta`)
 * cost more than the copy of a small `meta` itself.
 */
function redactValue(value: unknown, path: object[] | undefined): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (path?.includes(value)) return '[circular]';
  if (value instanceof Date) return value.toISOString();
  // Only the path from the root: an object met again in a sibling (shared, not circular) is
  // copied like any other.
  const inner = path ?? [];
  inner.push(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactValue(item, inner));
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record)) {
      put(out, key, isSecretKey(key) ? REDACTED : redactValue(record[key], inner));
    }
    return out;
  } finally {
    inner.pop();
  }
}
