import { TributaryError } from '../errors.ts';

/**
 * `TOOL_FAILED` from the language model kit. Never `retryable`: the kit retries what is worth it itself
 * (429 and 5xx before any token, honouring `Retry-After`), and a retry by the tool-call machinery could
 * repeat tokens a user already saw. `details.user_message` is what the flow may show; the message, for
 * operators, adds the endpoint (without credentials).
 *
 * @example
 * ```ts
 * llmError('HTTP 401 from http://llm/v1/chat/completions', 'the language model refused the API key (HTTP 401)');
 * ```
 */
export function llmError(
  message: string,
  userMessage: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): TributaryError {
  return new TributaryError('TOOL_FAILED', `language model: ${message}`, {
    retryable: false,
    details: { ...details, user_message: userMessage },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** What users read for an HTTP status from the model server. */
export function statusUserMessage(status: number): string {
  if (status === 401 || status === 403) return `the language model refused the API key (HTTP ${status})`;
  if (status === 429) return 'the language model is rate limited; try again later (HTTP 429)';
  if (status >= 500) return `the language model server failed (HTTP ${status})`;
  return `the language model rejected the request (HTTP ${status})`;
}

/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP date; `undefined` when absent or unreadable.
 *
 * @example
 * ```ts
 * retryAfterMs('2'); // 2000
 * ```
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
