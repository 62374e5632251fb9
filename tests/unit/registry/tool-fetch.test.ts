import { EventEmitter, once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callTool } from '../../../core/plugins/tool-call.ts';
import { shoutTool, testScope, toolDeps } from './scope.ts';

/** A real HTTP server on port 0: `/echo` answers with the headers it got, `/hang` never answers. */
let server: Server;
let base: string;
const arrived: string[] = [];
const closed: string[] = [];
/** `request` and `close` of each `/hang` request: tests wait on these, not on time. */
let hangs: EventEmitter;

beforeEach(async () => {
  arrived.length = 0;
  closed.length = 0;
  hangs = new EventEmitter();
  server = createServer((req, res) => {
    arrived.push(req.url ?? '');
    if (req.url === '/hang') {
      req.on('close', () => {
        closed.push(req.url ?? '');
        hangs.emit('close');
      });
      hangs.emit('request');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ headers: req.headers }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

/** A tool that GETs a path with `ctx.fetch` and returns the headers the server saw. */
function fetcher(path: string, init: RequestInit = {}, timeoutMs?: number) {
  return shoutTool({
    timeoutMs,
    output: { type: 'object', required: ['headers'] },
    execute: async (_input, ctx) => {
      const response = await ctx.fetch(`${base}${path}`, init);
      return (await response.json()) as { headers: IncomingHttpHeaders };
    },
  });
}

describe('ToolContext.fetch', () => {
  it('carries the tool span trace context to the server', async () => {
    const t = testScope();
    const out = await lastValueFrom(
      callTool<{ headers: IncomingHttpHeaders }>(toolDeps(fetcher('/echo')), t.scope, 'shout', { text: 'x' }),
    );
    expect(t.spans).toHaveLength(1);
    expect(out.headers.traceparent).toBe(t.spans[0]?.traceparent);
  });

  it("keeps the tool's own headers, including its own traceparent", async () => {
    const t = testScope();
    const own = '00-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-cccccccccccccccc-01';
    const tool = fetcher('/echo', { headers: { 'x-course': 'rxjs', traceparent: own } });
    const out = await lastValueFrom(
      callTool<{ headers: IncomingHttpHeaders }>(toolDeps(tool), t.scope, 'shout', { text: 'x' }),
    );
    expect(out.headers['x-course']).toBe('rxjs');
    expect(out.headers.traceparent).toBe(own);
  });

  it('uses the fetch given to callTool', async () => {
    const seen: string[] = [];
    const deps = {
      ...toolDeps(fetcher('/echo')),
      fetch: ((input, init) => {
        seen.push(new Headers(init?.headers).get('traceparent') ?? 'none');
        return fetch(input, init);
      }) satisfies typeof fetch,
    };
    const t = testScope();
    await lastValueFrom(callTool(deps, t.scope, 'shout', { text: 'x' }));
    expect(seen).toEqual([t.spans[0]?.traceparent]);
  });

  it("sends the call's signal as is when the tool passes it back, and combines any other", async () => {
    const sent: (AbortSignal | null | undefined)[] = [];
    const own = new AbortController();
    let callSignal: AbortSignal | undefined;
    const tool = shoutTool({
      output: { type: 'object' },
      execute: async (_input, ctx) => {
        callSignal = ctx.signal;
        await ctx.fetch(`${base}/echo`, { signal: ctx.signal });
        await ctx.fetch(`${base}/echo`, { signal: own.signal });
        return {};
      },
    });
    const deps = {
      ...toolDeps(tool),
      fetch: ((input, init) => {
        sent.push(init?.signal);
        return fetch(input, init);
      }) satisfies typeof fetch,
    };
    await lastValueFrom(callTool(deps, testScope().scope, 'shout', { text: 'x' }));
    // The tool's own ctx.signal needs no combining with itself (AbortSignal.any costs a signal and listeners).
    expect(sent[0]).toBe(callSignal);
    const combined = sent[1];
    expect(combined).not.toBe(own.signal);
    expect(combined).not.toBe(callSignal);
    own.abort();
    expect(combined?.aborted).toBe(true);
  });

  it('aborts the HTTP request in flight when the call times out', async () => {
    const t = testScope();
    const closing = once(hangs, 'close');
    const call = lastValueFrom(callTool(toolDeps(fetcher('/hang', {}, 50)), t.scope, 'shout', { text: 'x' }));
    await expect(call).rejects.toMatchObject({ code: 'TOOL_TIMEOUT' });
    await closing;
    expect(closed).toEqual(['/hang']);
  });

  it('aborts the HTTP request in flight when the caller unsubscribes', async () => {
    const t = testScope();
    const requested = once(hangs, 'request');
    const closing = once(hangs, 'close');
    const subscription = callTool(toolDeps(fetcher('/hang')), t.scope, 'shout', { text: 'x' }).subscribe();
    await requested;
    expect(arrived).toEqual(['/hang']);
    expect(closed).toEqual([]);
    subscription.unsubscribe();
    await closing;
    expect(closed).toEqual(['/hang']);
    expect(t.types()).toEqual(['tool.started']);
  });
});
