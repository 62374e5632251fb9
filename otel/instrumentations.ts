import type { IncomingMessage } from 'node:http';
import type { Attributes } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KoaInstrumentation, KoaLayerType } from '@opentelemetry/instrumentation-koa';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { SocketIoInstrumentation } from '@opentelemetry/instrumentation-socket.io';
import { UndiciInstrumentation, type UndiciRequest } from '@opentelemetry/instrumentation-undici';
// Straight from the file, not core/index.ts: `register.ts` loads this before the app (and pino).
import { isSecretKey } from '../core/events/redact.ts';

/** Paths probed often and worth no trace: health checks and the Prometheus scrape. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
/**
 * A session's SSE stream: open as long as its client stays, so its server span says nothing of a
 * request, has no children (the session's own trace shows the runs) and is exported only when the
 * client goes; with the router span under it, it was an eighth of the spans of a traced run.
 */
const EVENT_STREAM = /^\/v1\/sessions\/[^/]+\/events\/stream$/;

/** Requests that get no server span: the quiet paths and event streams. */
export function untracedRequest(request: Pick<IncomingMessage, 'url'>): boolean {
  const path = (request.url ?? '').split('?')[0] ?? '';
  return QUIET_PATHS.has(path) || EVENT_STREAM.test(path);
}

/**
 * True when an outgoing request already carries a W3C `traceparent` (set by the caller, or by a
 * `ctx.fetch` over a fetch of the caller's own). The undici instrumentation would append a second
 * `traceparent` header (it adds, never replaces), which receivers may reject or misread, so such
 * requests get no client span and keep the one header they have.
 */
export function carriesTraceContext(request: Pick<UndiciRequest, 'headers'>): boolean {
  const { headers } = request;
  if (typeof headers === 'string') return /(^|\r\n)traceparent:/i.test(headers);
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (typeof name === 'string' && name.toLowerCase() === 'traceparent') return true;
  }
  return false;
}

/** What stands in for a secret in `url.full` / `url.query`, as the HTTP semantic conventions spell it. */
export const URL_REDACTED = 'REDACTED';

/**
 * Query parameters that carry credentials without a secret-looking name: Google's `key` and the
 * signed-URL parameters the HTTP semantic conventions list (lower case; matched ignoring case).
 */
const CREDENTIAL_PARAMS = new Set([
  'key',
  'sig',
  'signature',
  'awsaccesskeyid',
  'x-goog-signature',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
]);

function secretParam(name: string): boolean {
  return isSecretKey(name) || CREDENTIAL_PARAMS.has(name.toLowerCase());
}

/**
 * `url.full` and `url.query` for a fetch's client span with secrets replaced by `REDACTED`: userinfo,
 * and the values of query parameters named like secrets (`api_key`, `access_token`, `password`, …, see
 * `core/events/redact.ts`) or credentials (`key`, `sig`, `X-Amz-Signature`, …). Empty when there is nothing
 * to hide, so the instrumentation's own values stand; the URL's other parameters stay as sent.
 */
export function redactedUrlAttributes(request: Pick<UndiciRequest, 'origin' | 'path'>): Attributes {
  // Called for every fetch: with no '@' (userinfo) and no '?' (query) there is nothing to hide, and
  // most requests are like that, so skip parsing the URL.
  if (!request.path.includes('?') && !request.path.includes('@') && !request.origin.includes('@')) return {};
  let url: URL;
  try {
    url = new URL(request.path, request.origin);
  } catch {
    return {};
  }
  let changed = false;
  if (url.username !== '' || url.password !== '') {
    url.username = URL_REDACTED;
    url.password = URL_REDACTED;
    changed = true;
  }
  const secrets = [...new Set(url.searchParams.keys())].filter(secretParam);
  if (secrets.length > 0) {
    // Only touched when needed: `set` re-encodes the whole query.
    for (const name of secrets) url.searchParams.set(name, URL_REDACTED);
    changed = true;
  }
  return changed ? { 'url.full': url.toString(), 'url.query': url.search } : {};
}

/**
 * A check, made per request, that one of `instrumentations` now traces `fetch`: an undici
 * instrumentation that is enabled. What `createOtelTelemetry({ fetchTraced })` wants.
 */
export function fetchTracedBy(instrumentations: readonly Instrumentation[]): () => boolean {
  const undici = instrumentations.filter((i) => i instanceof UndiciInstrumentation);
  return () => undici.some((i) => i.isEnabled() && i.getConfig().enabled !== false);
}

/**
 * `fetch` (undici) client spans: one per request, under the active span (a tool's `ctx.fetch` makes
 * its tool span active), sending that client span's `traceparent`; secrets kept out of the URL
 * attributes; requests that already carry a `traceparent` left alone.
 */
export function createFetchInstrumentation(): UndiciInstrumentation {
  return new UndiciInstrumentation({
    ignoreRequestHook: carriesTraceContext,
    startSpanHook: redactedUrlAttributes,
  });
}

/**
 * HTTP server and client (`http`), `fetch` (undici), Koa router layers, Socket.IO and pino
 * (which then writes `trace_id` / `span_id` into each line logged while a span is active).
 */
export function createInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({ ignoreIncomingRequestHook: untracedRequest }),
    createFetchInstrumentation(),
    // Router layers only: a span per Koa middleware would bury each request under a dozen spans.
    new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] }),
    new SocketIoInstrumentation(),
    // Log correlation only: Jaeger takes no logs, the lines go to stdout as before.
    new PinoInstrumentation({ disableLogSending: true }),
  ];
}
