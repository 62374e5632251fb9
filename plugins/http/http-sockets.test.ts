import { EventEmitter, once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toolHarness } from '../../tests/conformance/tool-harness.ts';
import { useNock } from '../../tests/fixtures/nock-lifecycle.ts';
import { probeTool } from '../../tests/fixtures/probe-tool.ts';

/**
 * The kit against real sockets on 127.0.0.1, where undici's own errors (not nock's stand-ins) are what the
 * kit classifies: `/reset` destroys the socket, `/hang` never answers, anything else answers `{ ok: true }`.
 */
let server: Server;
let base: string;
const closed: string[] = [];
/** `request` when a `/hang` request arrives, `close` when its socket closes: tests wait on these, not on time. */
let hangs: EventEmitter;

/** Resolves once `count` held requests have closed. */
async function closedCount(count: number): Promise<void> {
  while (closed.length < count) await once(hangs, 'close');
}

beforeEach(async () => {
  closed.length = 0;
  hangs = new EventEmitter();
  server = createServer((req, res) => {
    const path = req.url ?? '';
    if (path.startsWith('/reset')) {
      req.socket.destroy();
      return;
    }
    if (path.startsWith('/hang')) {
      req.on('close', () => {
        closed.push(path);
        hangs.emit('close');
      });
      hangs.emit('request', req);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  if (server.listening) {
    server.close();
    await once(server, 'close');
  }
});

describe('HTTP kit on real sockets', () => {
  useNock();

  it('calls a real server', async () => {
    const h = toolHarness(probeTool({ baseUrl: base }));
    expect(await h.outcome({ q: 'x' })).toEqual({ value: { ok: true } });
  });

  it('retries a refused connection once, then names the cause', async () => {
    server.close();
    await once(server, 'close');
    const h = toolHarness(probeTool({ baseUrl: base }));
    const { error } = await h.outcome({ q: 'x' });
    const port = new URL(base).port;
    expect(error).toMatchObject({
      code: 'TOOL_FAILED',
      retryable: true,
      message: `connection failed calling probe at ${base}/call: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    expect(h.http.requests).toHaveLength(2);
  });

  it('retries a socket the server hangs up on', async () => {
    const h = toolHarness(probeTool({ baseUrl: `${base}/reset` }));
    const { error } = await h.outcome({ q: 'x' });
    expect(error).toMatchObject({
      code: 'TOOL_FAILED',
      retryable: true,
      message: `connection failed calling probe at ${base}/reset/call: other side closed (UND_ERR_SOCKET)`,
    });
    expect(h.http.requests).toHaveLength(2);
  });

  it('closes the socket when the call is unsubscribed', async () => {
    // A time limit far past the test's: only the unsubscribe can close this socket.
    const h = toolHarness(probeTool({ baseUrl: `${base}/hang`, timeoutMs: 60_000 }));
    const arrived = once(hangs, 'request');
    const subscription = h.call({ q: 'x' }).subscribe({ error: () => {} });
    await arrived;
    expect(h.http.requests).toHaveLength(1);
    expect(closed).toEqual([]);
    subscription.unsubscribe();
    await closedCount(1);
    expect(closed).toEqual(['/hang/call']);
  });

  it('closes the socket when its own timeout fires', async () => {
    const h = toolHarness(probeTool({ baseUrl: `${base}/hang`, timeoutMs: 100 }));
    const { error } = await h.outcome({ q: 'x' });
    expect(error).toMatchObject({ code: 'TOOL_TIMEOUT' });
    await closedCount(2);
    expect(closed).toEqual(['/hang/call', '/hang/call']);
  });
});
