import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';

export interface BareKoa {
  url: string;
  close(): Promise<void>;
}

/** What the bare app does for the two measured operations, past the HTTP part. */
export interface BareOperations {
  /** `POST /v1/sessions`: the parsed body in, the 201's JSON body out. */
  create(body: Record<string, unknown>): unknown;
  /** `GET /v1/sessions/:id/events`: the 200's JSON body, or undefined for a 404. */
  events(sessionId: string): unknown;
}

/**
 * The operations with no store: POST answers a small JSON made from the body; GET answers `page`
 * (the gateway's own events page, so the same size).
 */
export function storelessOperations(page: unknown): BareOperations {
  return {
    create: (body) => ({ id: randomUUID(), ...body, created_at: new Date().toISOString() }),
    events: () => page,
  };
}

const EVENTS_PATH = /^\/v1\/sessions\/([^/]+)\/events$/;

/**
 * The baseline server: a bare Koa app that does the HTTP part of the two measured operations (read
 * and parse the JSON body; route; serialise the answer) and hands the rest to `operations`.
 */
export async function startBareKoa(operations: BareOperations): Promise<BareKoa> {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method === 'POST' && ctx.path === '/v1/sessions') {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      ctx.status = 201;
      ctx.body = operations.create(body);
      return;
    }
    const events = ctx.method === 'GET' ? EVENTS_PATH.exec(ctx.path) : null;
    const page = events?.[1] ? operations.events(events[1]) : undefined;
    if (page !== undefined) {
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
