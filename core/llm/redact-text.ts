import { isSecretKey, REDACTED } from '../events/redact.ts';

/** `name: value`, `name=value` or `"name": value`, the value quoted or up to the next space, comma, semicolon or ampersand. */
const PAIR = /([A-Za-z][\w.-]*)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&"']+)/g;
/** Credentials in an HTTP authorization scheme. */
const SCHEME = /\b(Bearer|Basic)\s+[\w.~+/=-]+/gi;
/** `user:password@` in a URL. */
const URL_CREDENTIALS = /(\/\/)[^/\s:@]+:[^/\s@]+@/g;

/**
 * Free text with what looks like a credential masked: values of secret-named pairs (`api_key=…`,
 * `"password": "…"`, by the same words as {@link isSecretKey}), `Bearer`/`Basic` credentials and
 * passwords in URLs. For prompts and completions recorded on spans (`LLM_RECORD_CONTENT`), where
 * the structured {@link redact} has no keys to go by. Best effort: it cannot know every secret.
 *
 * @example
 * ```ts
 * redactText('use api_key=sk-123 and Bearer abc'); // 'use api_key=[redacted] and Bearer [redacted]'
 * ```
 */
export function redactText(text: string): string {
  return text
    .replace(PAIR, (whole, key: string, sep: string) =>
      isSecretKey(key) ? `${key}${sep}${REDACTED}` : whole,
    )
    .replace(SCHEME, (_whole, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`);
}
