import { TributaryError } from '../../core/errors.ts';
import type { ToolContext } from '../../core/plugins/plugin.ts';
import { bodySnippet } from './body-snippet.ts';
import { displayUrl } from './display-url.ts';
import type { CallSite } from './http-errors.ts';
import {
  connectionError,
  invalidJsonError,
  statusError,
  timeoutError,
  tooLargeError,
} from './http-errors.ts';
import { discardBody, readLimited } from './read-limited.ts';

/** The per-call time limit users see in messages (`timeout after 5000 ms calling …`). */
export const DEFAULT_TIMEOUT_MS = 5_000;
/** The largest response body read: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1_048_576;
/** How much of an error body is read to quote from it. */
const SNIPPET_READ_BYTES = 4_096;

/** The part of a tool's context the kit uses. */
export type HttpContext = Pick<ToolContext, 'fetch' | 'signal' | 'logger'>;

/** What every JSON call names. */
export interface JsonCallOptions {
  /** The calling tool: error messages say who was calling what. */
  tool: string;
  url: string;
  /** For the whole call (connect, headers and body). Default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Largest response body read; past it the call fails. Default {@link DEFAULT_MAX_BYTES}. */
  maxBytes?: number;
  /** Extra request headers, e.g. an API key. Never logged and never put in an error message. */
  headers?: Record<string, string>;
}

export interface JsonRequest extends JsonCallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON when given. */
  body?: unknown;
}

/**
 * Sends one HTTP request through `ctx.fetch` (trace headers, the run's signal) under its own time limit,
 * reads at most `maxBytes` of the answer and parses it as a JSON object. Fails with a {@link TributaryError}
 * whose message says what happened where (see `http-errors.ts`), marked `retryable` only for blips:
 * network errors, timeouts, 502, 503 and 504. When the run's signal aborts, the abort's own reason is
 * rethrown so the core reports a cancel, not a tool failure.
 *
 * `T` is the caller's claim about the reply, not a check: the tool's output schema is what checks it.
 *
 * @example
 * ```ts
 * const reply = await requestJson<SearchResponse>(ctx, {
 *   method: 'POST', tool: 'rag_search', url: 'http://rag.local/search', body: { query: 'rxjs', top_k: 4 },
 * });
 * ```
 */
export async function requestJson<T extends object>(ctx: HttpContext, request: JsonRequest): Promise<T> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = request.maxBytes ?? DEFAULT_MAX_BYTES;
  const site: CallSite = { tool: request.tool, url: displayUrl(request.url) };
  // Serialised outside the try: a body that cannot be sent is the caller's bug, not a connection failure.
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const deadline = AbortSignal.timeout(timeoutMs);
  const started = Date.now();
  try {
    const response = await ctx.fetch(request.url, {
      method: request.method,
      headers: jsonHeaders(request.headers, body !== undefined),
      body,
      signal: AbortSignal.any([ctx.signal, deadline]),
    });
    ctx.logger.debug(
      { url: site.url, status: response.status, ms: Date.now() - started },
      `${request.method} answered`,
    );
    if (!response.ok) throw await failedStatus(response, site);
    return parseObject<T>(await readWithin(response, maxBytes, site), site);
  } catch (error) {
    // A cancelled run (or the core's own timeout) is not this call's failure: give the core its reason back.
    if (ctx.signal.aborted) {
      const reason: unknown = ctx.signal.reason;
      throw reason;
    }
    if (error instanceof TributaryError) throw error;
    if (deadline.aborted) throw timeoutError(site, timeoutMs);
    throw connectionError(error, site);
  }
}

function jsonHeaders(own: Record<string, string> | undefined, hasBody: boolean): Headers {
  const headers = new Headers(own);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  if (hasBody && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return headers;
}

/** 4xx bodies usually say what was wrong with the request, so quote them; 5xx bodies are stack traces at best. */
async function failedStatus(response: Response, site: CallSite): Promise<TributaryError> {
  if (response.status >= 500) {
    discardBody(response);
    return statusError(response.status, site, '');
  }
  const { text } = await readLimited(response, SNIPPET_READ_BYTES);
  return statusError(response.status, site, bodySnippet(text));
}

async function readWithin(response: Response, maxBytes: number, site: CallSite): Promise<string> {
  // A declared length past the limit fails before a byte is read; the stream check catches the rest.
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    discardBody(response);
    throw tooLargeError(site, maxBytes);
  }
  const { text, truncated } = await readLimited(response, maxBytes);
  if (truncated) throw tooLargeError(site, maxBytes);
  return text;
}

function parseObject<T extends object>(text: string, site: CallSite): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidJsonError(site);
  }
  // Every backend contract is an object; anything else would fail later with a far worse message.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidJsonError(site, 'expected an object');
  }
  return value as T;
}
