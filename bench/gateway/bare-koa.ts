import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';

export interface BareKoa {
  url: string;
  close(): Promise<void>;
}

/**
 * The baseline server: a bare Koa app that does the HTTP part of the two measured operations and
 * nothing else. `POST /v1/sessions` reads and parses the JSON body and answers 201 with a small JSON;
 * `GET /v1/sessions/:id/events` answers with `page` (the gateway's own events page, so the same size).
 */
export async function startBareKoa(page: unknown): Promise<BareKoa> {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method === 'POST' && ctx.path === '/v1/sessions') {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      ctx.status = 201;
      ctx.body = { id: randomUUID(), ...body, created_at: new Date().toISOString() };
      return;
    }
    if (ctx.method === 'GET' && /^\/v1\/sessions\/[^/]+\/events$/.test(ctx.path)) {
      ctx.body = page;
      return;
    }
    ctx.status = 404;
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
