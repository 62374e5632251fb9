import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toolHarness } from '../../conformance/tool-harness.ts';
import { useNock } from './nock-lifecycle.ts';
import { probeTool } from './probe-tool.ts';

/**
 * The kit against real sockets on 127.0.0.1, where undici's own errors (not nock's stand-ins) are what the
 * kit classifies: `/reset` destroys the socket, `/hang` never answers, anything else answers `{ ok: true }`.
 */
let server: Server;
let base: string;
const closed: string[] = [];

beforeEach(async () => {
  closed.length = 0;
  server = createServer((req, res) => {
    const path = req.url ?? '';
    if (path.startsWith('/reset')) {
      req.socket.destroy();
      return;
    }
    if (path.startsWith('/hang')) {
      req.on('close', () => closed.push(path));
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
    const h = toolHarness(probeTool({ baseUrl: `${base}/hang` }));
    const subscription = h.call({ q: 'x' }).subscribe({ error: () => {} });
    await expect.poll(() => h.http.requests.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toEqual([]);
    subscription.unsubscribe();
    await expect.poll(() => closed).toEqual(['/hang/call']);
  });

  it('closes the socket when its own timeout fires', async () => {
    const h = toolHarness(probeTool({ baseUrl: `${base}/hang`, timeoutMs: 100 }));
    const { error } = await h.outcome({ q: 'x' });
    expect(error).toMatchObject({ code: 'TOOL_TIMEOUT' });
    await expect.poll(() => closed).toEqual(['/hang/call', '/hang/call']);
  });
});
