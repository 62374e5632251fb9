import { Router } from '@koa/router';
import Koa from 'koa';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { faultInjection } from './fault-injection.ts';
import type { FaultOptions } from './fault-injection.ts';
import { problemResponses } from './problem.ts';

/** The demo backends, by the name they give in health checks, headers, problems and logs. */
export type DemoService = 'demo-rag' | 'demo-exam';

/** The response header every demo backend response carries: demo data is never silently passed off as real. */
export const DEMO_HEADER = 'X-Demo-Backend';

export interface DemoAppOptions extends FaultOptions {
  /** Where unexpected errors are logged; silent by default. */
  logger?: Logger;
}

/** What `GET /healthz` answers. */
export interface DemoHealth {
  ok: true;
  service: DemoService;
}

/**
 * The Koa scaffold both demo backends share: problem+json errors, the `X-Demo-Backend` header,
 * `GET /healthz`, fault injection on every other request, then the routes `defineRoutes` adds.
 *
 * @example
 * ```ts
 * const app = createDemoApp('demo-rag', { latencyMs: 50 }, (router) => {
 *   router.post('/search', jsonBody(), (ctx) => {
 *     ctx.body = { chunks: [] };
 *   });
 * });
 * ```
 */
export function createDemoApp(
  service: DemoService,
  options: DemoAppOptions,
  defineRoutes: (router: Router) => void,
): Koa {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ service });
  const router = new Router();
  router.get('/healthz', (ctx) => {
    const health: DemoHealth = { ok: true, service };
    ctx.body = health;
  });
  defineRoutes(router);

  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.set(DEMO_HEADER, service);
    await next();
  });
  app.use(problemResponses(service, logger));
  app.use(faultInjection(options, (ctx) => ctx.path === '/healthz'));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
