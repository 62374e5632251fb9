import { TributaryError } from '../../core/errors.ts';

/**
 * Who called what: every kit error names both. `url` is already safe to log (see `displayUrl`), but it is an
 * internal address: it goes in the message and `details.url` for operators, never in `details.user_message`.
 */
export interface CallSite {
  readonly tool: string;
  readonly url: string;
}

/** Statuses that mean "the backend or a proxy in front of it is down for a moment": worth one more try. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** Socket-level failures worth one more try. `UND_ERR_SOCKET` is how undici's fetch says "socket hang up". */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET']);
const RETRYABLE_MESSAGES: ReadonlySet<string> = new Set(['socket hang up', 'fetch failed']);

/** An absolute URL (`http://rag.internal:8101/search`), to keep out of what users read. */
const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*/gi;

/**
 * Text with every absolute URL replaced by `the service`: users see what failed, operators see where
 * (in the error's message, the `tool.failed` event and the logs).
 *
 * @example
 * ```ts
 * withoutUrls('no index at http://rag.internal/v2'); // 'no index at the service'
 * ```
 */
export function withoutUrls(text: string): string {
  return text.replace(URL_PATTERN, 'the service');
}

/**
 * `TOOL_TIMEOUT` for a call that outlived its own time limit; retryable.
 *
 * @example
 * ```ts
 * timeoutError({ tool: 'rag_search', url: 'http://rag/search' }, 5000).message;
 * // 'timeout after 5000 ms calling rag_search at http://rag/search'
 * ```
 */
export function timeoutError(site: CallSite, timeoutMs: number): TributaryError {
  return new TributaryError(
    'TOOL_TIMEOUT',
    `timeout after ${timeoutMs} ms calling ${site.tool} at ${site.url}`,
    {
      retryable: true,
      details: {
        url: site.url,
        timeout_ms: timeoutMs,
        user_message: `the ${site.tool} service did not answer within ${timeoutMs} ms`,
      },
    },
  );
}

/**
 * `TOOL_FAILED` for a request that got no response; retryable only for the transient failures
 * listed in {@link isTransientNetworkError}.
 *
 * @example
 * ```ts
 * connectionError(new TypeError('fetch failed', { cause: econnrefused }), site).message;
 * // 'connection failed calling rag_search at http://rag/search: connect ECONNREFUSED 127.0.0.1:8101'
 * ```
 */
export function connectionError(error: unknown, site: CallSite): TributaryError {
  const reason = describeCause(error);
  return new TributaryError(
    'TOOL_FAILED',
    `connection failed calling ${site.tool} at ${site.url}: ${reason}`,
    {
      retryable: isTransientNetworkError(error),
      // The reason names the address (`connect ECONNREFUSED 10.0.0.5:8101`): operators only.
      details: { url: site.url, reason, user_message: `the ${site.tool} service could not be reached` },
    },
  );
}

/**
 * `TOOL_FAILED` for a non-2xx answer. Only 502, 503 and 504 are retryable: a 4xx will fail the same
 * way again, and a 500 is a bug in the backend, not a blip.
 *
 * @param snippet - a short, safe excerpt of the body, or `''`.
 *
 * @example
 * ```ts
 * statusError(404, site, 'no such index').message; // 'HTTP 404 from http://rag/search: no such index'
 * ```
 */
export function statusError(status: number, site: CallSite, snippet: string): TributaryError {
  const said = snippet === '' ? '' : `: ${snippet}`;
  return new TributaryError('TOOL_FAILED', `HTTP ${status} from ${site.url}${said}`, {
    retryable: RETRYABLE_STATUSES.has(status),
    // A 4xx snippet says what was wrong with the request (`no such city: Atlantis`): worth showing.
    details: {
      url: site.url,
      status,
      user_message: `the ${site.tool} service answered HTTP ${status}${withoutUrls(said)}`,
    },
  });
}

/** `TOOL_FAILED`, not retryable: the same request would get the same oversized answer. */
export function tooLargeError(site: CallSite, maxBytes: number): TributaryError {
  return new TributaryError('TOOL_FAILED', `response from ${site.url} exceeds ${maxBytes} bytes`, {
    details: {
      url: site.url,
      max_bytes: maxBytes,
      user_message: `the ${site.tool} service answered with more than ${maxBytes} bytes`,
    },
  });
}

/** `TOOL_FAILED`, not retryable: the body is not JSON (or not the JSON object the backends promise). */
export function invalidJsonError(site: CallSite, why?: string): TributaryError {
  return new TributaryError(
    'TOOL_FAILED',
    `invalid JSON from ${site.url}${why === undefined ? '' : `: ${why}`}`,
    {
      details: {
        url: site.url,
        user_message: `the ${site.tool} service answered with invalid JSON${why === undefined ? '' : `: ${why}`}`,
      },
    },
  );
}

/**
 * Whether a `fetch` rejection is a blip worth retrying: anywhere along its `cause` chain, a reset or refused
 * connection, a socket hang up, or undici's generic `fetch failed`.
 * nock's `replyWithError({ code })` rejects with a plain object, so objects count, not only `Error`s.
 */
export function isTransientNetworkError(error: unknown): boolean {
  return causeChain(error).some(
    ({ code, message }) =>
      (code !== undefined && RETRYABLE_CODES.has(code)) ||
      (message !== undefined && RETRYABLE_MESSAGES.has(message)),
  );
}

/**
 * The most specific thing a failure says about itself: the innermost cause's message, with its code when
 * the message does not already name it (`fetch failed` alone tells a reader nothing).
 *
 * @example
 * ```ts
 * describeCause(new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }));
 * // 'other side closed (UND_ERR_SOCKET)'
 * ```
 */
export function describeCause(error: unknown): string {
  const innermost = causeChain(error).at(-1);
  const message = innermost?.message?.trim() || undefined;
  const code = innermost?.code;
  if (message === undefined) return code ?? 'unknown error';
  return code === undefined || message.includes(code) ? message : `${message} (${code})`;
}

interface CauseLink {
  code: string | undefined;
  message: string | undefined;
}

/** The error and its causes, outermost first; stops after a few links in case of a cycle. */
function causeChain(error: unknown): CauseLink[] {
  const chain: CauseLink[] = [];
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && chain.length < 8) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    chain.push({
      code: typeof code === 'string' ? code : undefined,
      message: typeof message === 'string' ? message : undefined,
    });
    current = cause;
  }
  if (typeof current === 'string') chain.push({ code: undefined, message: current });
  return chain;
}
