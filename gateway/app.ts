import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import cors from '@koa/cors';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { Runtime } from '../core/index.ts';
import { createHandlers } from './handlers/index.ts';
import { registerApiDocs } from './http/api-docs.ts';
import { registerDashboard } from './http/dashboard-assets.ts';
import { createAuthenticate } from './http/authenticate.ts';
import { createRateLimitCheck } from './http/rate-limit-check.ts';
import type { RequestLimiter } from './http/request-limiter.ts';
import { bindOpenApi, type BoundOperation } from './http/openapi-binder.ts';
import { loadSpec, type OpenApiDocument } from './http/openapi-document.ts';
import { HttpProblem, toProblem } from './http/problem.ts';
import { readableSession } from './session-access.ts';
import { PROBLEM_CONTENT_TYPE } from '../http-problem/problem-document.ts';

export interface GatewayOptions {
  runtime: Runtime;
  logger: Logger;
  apiKeys: ReadonlyMap<string, string>;
  internalToken: string | undefined;
  bodyLimit: number;
  /** Origins allowed by CORS; empty allows none (same-origin only). `*` allows any. */
  corsOrigins?: readonly string[];
  /** Validate every response against the spec (tests): a mismatch is a 500. */
  validateResponses?: boolean;
  heartbeatMs?: number;
  spec?: OpenApiDocument;
  /** Where the dashboard links trace ids (`JAEGER_UI_URL`). */
  jaegerUiUrl?: string;
  /** `RATE_LIMIT`'s counter; unset: no limit. */
  limiter?: RequestLimiter;
  /**
   * What the gateway routes: `all` (default) every operation of the spec, the API reference and the
   * dashboard; `health` only `GET /healthz` and `GET /readyz`, everything else 404, for a `ROLE=worker`
   * process that answers its orchestrator's probes and serves no API.
   */
  operations?: GatewayOperations;
}

/** See {@link GatewayOptions.operations}. */
export type GatewayOperations = 'all' | 'health';

/** The operations of `operations: 'health'`: liveness and readiness. */
const HEALTH_OPERATIONS: ReadonlySet<string> = new Set(['health', 'ready']);

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Headers HTTP asks of some failures: how to authenticate (RFC 9110 §11.6.1), when to come back. */
function problemHeaders(status: number): Record<string, string> {
  if (status === 401) return { 'WWW-Authenticate': 'Bearer realm="tributary"' };
  if (status === 429) return { 'Retry-After': '60' };
  if (status === 503) return { 'Retry-After': '5' };
  return {};
}

/**
 * The Koa gateway: request ids and logs, problem+json errors, CORS, every operation of
 * `openapi/openapi.yaml` bound to its handler, and the API reference at `/docs` (with
 * `operations: 'health'`, the health probes alone).
 *
 * @example
 * ```ts
 * const app = createGateway({ runtime, logger, apiKeys: config.API_KEYS, internalToken: config.INTERNAL_TOKEN, bodyLimit: config.BODY_LIMIT });
 * app.listen(3000);
 * const worker = createGateway({ ...options, operations: 'health' }); // GET /healthz, /readyz; the rest 404
 * ```
 */
export function createGateway(options: GatewayOptions): Koa {
  const { logger } = options;
  const healthOnly = options.operations === 'health';
  const notFound = healthOnly
    ? 'no such route; this process is a worker: it serves /healthz and /readyz only'
    : 'no such route; see /docs for the API';
  const spec = options.spec ?? loadSpec();
  const app = new Koa({ proxy: false });
  app.silent = true;

  app.use(async (ctx, next) => {
    // Read per request, not once: the level may be changed at run time (`logger.level = …`).
    const logInfo = logger.isLevelEnabled('info');
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
      // Nothing matched (and allowedMethods found no other method either).
      if (ctx.status === 404 && ctx.body == null) throw new HttpProblem('NOT_FOUND', notFound);
      // allowedMethods answered 405 (or 501 for a method no route takes) and set `Allow`: send it as a problem.
      if ((ctx.status === 405 || ctx.status === 501) && ctx.body == null)
        throw new HttpProblem('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}`);
    } catch (error) {
      const problem = toProblem(error, requestId);
      ctx.status = problem.status;
      ctx.type = PROBLEM_CONTENT_TYPE;
      ctx.body = problem;
      // A header already set says more (the rate limit's own Retry-After) than the status's default.
      for (const [name, value] of Object.entries(problemHeaders(problem.status)))
        if (!ctx.res.hasHeader(name)) ctx.set(name, value);
      if (problem.status >= 500)
        logger.error(
          { err: error, request_id: requestId, method: ctx.method, path: ctx.path },
          'request failed',
        );
    } finally {
      // The access line is built only when it will be written: at `silent` (or `warn`) pino would
      // drop it, and building it (path parsing, rounding, the object) is per-request work for nothing.
      if (logInfo) {
        const ms = Math.round((performance.now() - started) * 10) / 10;
        const sessionId = (ctx.params as Record<string, string> | undefined)?.session_id;
        logger.info(
          {
            request_id: requestId,
            method: ctx.method,
            path: ctx.path,
            status: ctx.status,
            ms,
            session_id: sessionId,
          },
          'request',
        );
      }
    }
  });
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    const allowed = new Set(options.corsOrigins);
    app.use(
      cors({
        origin: (ctx) => (allowed.has('*') ? '*' : allowed.has(ctx.get('origin')) ? ctx.get('origin') : ''),
        allowHeaders: [
          'Authorization',
          'X-API-Key',
          'Content-Type',
          'Last-Event-ID',
          'traceparent',
          'X-Request-Id',
        ],
        exposeHeaders: ['X-Request-Id', 'Location', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
      }),
    );
  }

  const router = new Router();
  const handlers = createHandlers({
    runtime: options.runtime,
    spec,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    internalToken: options.internalToken,
  });
  bindOpenApi(router, {
    spec,
    // Ajv has checked each request against the spec, so the typed handlers' parameter types hold.
    handlers: handlers as unknown as Record<string, BoundOperation>,
    authenticate: createAuthenticate({ apiKeys: options.apiKeys, internalToken: options.internalToken }),
    readableSession: (user, sessionId) => readableSession(options.runtime, user, sessionId),
    bodyLimit: options.bodyLimit,
    validateResponses: options.validateResponses,
    rateLimit: options.limiter
      ? createRateLimitCheck(options.limiter, { open: options.apiKeys.size === 0 })
      : undefined,
    only: healthOnly ? HEALTH_OPERATIONS : undefined,
  });
  if (!healthOnly) {
    registerApiDocs(router);
    registerDashboard(router, { jaegerUiUrl: options.jaegerUiUrl });
  }
  app.use(router.routes());
  // Not `throw: true`: a thrown 405 goes without the `Allow` header the router sets otherwise.
  app.use(router.allowedMethods());
  return app;
}
