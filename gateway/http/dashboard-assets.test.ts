import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDashboard, type DashboardOptions } from './dashboard-assets.ts';

let dir: string;
const servers: Server[] = [];

async function serve(options: DashboardOptions): Promise<string> {
  const app = new Koa();
  const router = new Router();
  registerDashboard(router, options);
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dashboard-assets-'));
  await mkdir(join(dir, 'dist', 'assets'), { recursive: true });
  await writeFile(join(dir, 'dist', 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(dir, 'dist', 'assets', 'index-Abc123.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.js'), 'nope');
});

afterAll(async () => {
  for (const server of servers) server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('registerDashboard', () => {
  it('serves index.html uncached and the hashed assets cached for a year', async () => {
    const url = await serve({ distDir: join(dir, 'dist') });
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<title>t</title>');

    const asset = await fetch(`${url}/assets/index-Abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('serves nothing outside the assets folder, nor unknown files', async () => {
    const url = await serve({ distDir: join(dir, 'dist') });
    for (const path of ['/assets/missing-1.js', '/assets/..%2F..%2Fsecret.js', '/assets/index-Abc123.exe'])
      expect((await fetch(`${url}${path}`)).status, path).toBe(404);
  });

  it('answers / with a 503 page saying how to build when there is no build', async () => {
    const url = await serve({ distDir: join(dir, 'missing') });
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('npm run build:dashboard');
  });

  it('gives the page its settings: the Jaeger UI base URL', async () => {
    const url = await serve({ distDir: join(dir, 'dist'), jaegerUiUrl: 'http://jaeger.example:16686/' });
    const config = await fetch(`${url}/dashboard-config.json`);
    expect(config.headers.get('cache-control')).toBe('no-cache');
    expect(await config.json()).toEqual({ jaeger_ui_url: 'http://jaeger.example:16686' });
  });
});
