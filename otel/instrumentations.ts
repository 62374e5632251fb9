import type { IncomingMessage } from 'node:http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KoaInstrumentation, KoaLayerType } from '@opentelemetry/instrumentation-koa';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { SocketIoInstrumentation } from '@opentelemetry/instrumentation-socket.io';
import { UndiciInstrumentation, type UndiciRequest } from '@opentelemetry/instrumentation-undici';

/** Paths probed often and worth no trace: health checks and the Prometheus scrape. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function quietRequest(request: IncomingMessage): boolean {
  const path = (request.url ?? '').split('?')[0] ?? '';
  return QUIET_PATHS.has(path);
}

/**
 * True when an outgoing request already carries a W3C `traceparent`: a tool's `ctx.fetch` writes its
 * tool span's context itself. The undici instrumentation would append a second `traceparent` header
 * (it adds, never replaces), which receivers may reject or misread, so such requests get no extra
 * client span: the service called joins the trace directly under the tool span.
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

/**
 * HTTP server and client (`http`), `fetch` (undici), Koa router layers, Socket.IO, ioredis and pino
 * (which then writes `trace_id` / `span_id` into each line logged while a span is active).
 */
export function createInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({ ignoreIncomingRequestHook: quietRequest }),
    new UndiciInstrumentation({ ignoreRequestHook: carriesTraceContext }),
    // Router layers only: a span per Koa middleware would bury each request under a dozen spans.
    new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] }),
    new SocketIoInstrumentation(),
    new IORedisInstrumentation(),
    // Log correlation only: Jaeger takes no logs, the lines go to stdout as before.
    new PinoInstrumentation({ disableLogSending: true }),
  ];
}
