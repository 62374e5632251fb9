import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from 'koa';

/**
 * Koa middleware answering `GET <path>` with `handler` (OpenTelemetry's Prometheus exposition,
 * `otel/index.ts`), which writes the response itself; every other request goes on down the stack.
 * Mounted after the router, it only sees requests no route took. Without a handler (metrics off)
 * it passes everything on.
 *
 * @example
 * ```ts
 * const otel = instrumentPlatform(runtime, { prometheus: config.METRICS_PROMETHEUS });
 * app.use(metricsRoute(otel.metrics));
 * ```
 */
export function metricsRoute(
  handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined,
  path = '/metrics',
): Middleware {
  if (!handler) return (_ctx, next) => next();
  return async (ctx, next) => {
    if (ctx.path !== path || ctx.method !== 'GET') return next();
    // 200 first, so the gateway's 404 handling leaves it alone; the handler writes the body itself.
    ctx.status = 200;
    ctx.respond = false;
    handler(ctx.req, ctx.res);
  };
}
