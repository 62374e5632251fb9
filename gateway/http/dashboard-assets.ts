import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { RouterContext } from '@koa/router';
import type Router from '@koa/router';
import { DASHBOARD_DIST } from '../../clients/dashboard/paths.ts';

export interface DashboardOptions {
  /**
   * Base URL of the Jaeger UI for the trace links (`${jaegerUiUrl}/trace/${trace_id}`): the platform
   * passes `JAEGER_UI_URL`; Jaeger's local default otherwise.
   */
  jaegerUiUrl?: string;
  /** The built dashboard; `clients/dashboard/dist` by default. */
  distDir?: string;
}

/** The default of `JAEGER_UI_URL` in `core/config.ts`. */
const DEFAULT_JAEGER_UI_URL = 'http://localhost:16686';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Vite's output names under `assets/`: a plain file name, so no path can climb out of the folder. */
const ASSET_NAME = /^[\w-]+(?:\.[\w-]+)*$/;

/** Same-origin everything; the socket connects back to this host (ws: for Socket.IO's upgrade). */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8" /><title>Tributary dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
  <h1>The dashboard is not built</h1>
  <p>This gateway has no <code>clients/dashboard/dist</code>. Build it once, then reload this page:</p>
  <pre><code>npm run build:dashboard</code></pre>
  <p>(<code>npm install</code> builds it too, when dev dependencies are installed.)
  The API works meanwhile: see <a href="/docs">/docs</a>.</p>
</body>
</html>`;

/**
 * Serves the dashboard at `/`: `index.html` (never cached, so a new build shows at the next load),
 * the content-hashed files under `/assets/` (cached for a year), and `GET /dashboard-config.json`,
 * the page's settings (`{ jaeger_ui_url }`). Without a build, `/` is a 503 page that says how to
 * make one. Files are read per request, so a rebuild needs no restart.
 *
 * @example
 * ```ts
 * registerDashboard(router, { jaegerUiUrl: 'http://jaeger:16686' }); // open http://127.0.0.1:3000/
 * ```
 */
export function registerDashboard(router: Router, options: DashboardOptions = {}): void {
  const dist = options.distDir ?? DASHBOARD_DIST;
  const jaeger = options.jaegerUiUrl ?? DEFAULT_JAEGER_UI_URL;
  const settings = { jaeger_ui_url: jaeger.replace(/\/+$/, '') };

  const page = async (ctx: RouterContext): Promise<void> => {
    const html = await readFile(join(dist, 'index.html')).catch(() => undefined);
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (!html) {
      ctx.status = 503;
      ctx.set('Retry-After', '60');
      ctx.body = NOT_BUILT;
      return;
    }
    ctx.set('Content-Security-Policy', CSP);
    ctx.body = html;
  };
  router.get('/', page);
  router.get('/index.html', page);

  router.get('/assets/:name', async (ctx, next) => {
    const name = ctx.params.name ?? '';
    const type = TYPES[extname(name)];
    if (!type || !ASSET_NAME.test(name)) return next();
    const body = await readFile(join(dist, 'assets', name)).catch(() => undefined);
    if (!body) return next();
    ctx.type = type;
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = body;
  });

  router.get('/dashboard-config.json', (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = settings;
  });
}
