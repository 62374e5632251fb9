import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestPrefix } from '../fixtures/redis-prefix.ts';
import { running, spawnGateway, type ServerProcess } from '../fixtures/server-process.ts';

// Two whole processes on one Redis; a loaded 2-core machine takes seconds to start each.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const { url: REDIS_URL, prefix: PREFIX } = useTestPrefix();
const KEY = 'roles-key-0001';

/**
 * ROLE=worker against ROLE=api, both real processes on one Redis and prefix, with the same keys: the
 * api node is the control that shows each path the worker refuses exists on a node serving the API.
 * Runs are not started: which process executes them is the run queue's concern.
 */
interface Node {
  server: ServerProcess;
  url: string;
  started: Record<string, unknown>;
}

const nodes: ServerProcess[] = [];
let worker: Node;
let api: Node;

async function startNode(role: 'api' | 'worker'): Promise<Node> {
  const server = spawnGateway({
    STORE: 'redis',
    REDIS_URL,
    REDIS_PREFIX: PREFIX,
    ROLE: role,
    PORT: '0',
    API_KEYS: `${KEY}:ann`,
    METRICS_PROMETHEUS: 'true',
  });
  nodes.push(server);
  const started = (await running(server)) as unknown as Record<string, unknown>;
  return { server, url: String(started.url), started };
}

beforeAll(async () => {
  [worker, api] = await Promise.all([startNode('worker'), startNode('api')]);
});

afterAll(async () => {
  for (const server of nodes) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  await Promise.all(nodes.map((server) => server.exited));
});

const SOCKET_HANDSHAKE = '/socket.io/?EIO=4&transport=polling';
const authorized = { Authorization: `Bearer ${KEY}` };

async function problemOf(response: Response): Promise<{ status: number; code: unknown; type: string }> {
  const body = (await response.json()) as { code?: unknown };
  return { status: response.status, code: body.code, type: response.headers.get('content-type') ?? '' };
}

const NOT_FOUND = {
  status: 404,
  code: 'NOT_FOUND',
  type: expect.stringContaining('application/problem+json'),
};

describe('ROLE=worker', () => {
  it('logs its role in the start line, without an API reference to point to', () => {
    expect(worker.started).toMatchObject({ role: 'worker', store: 'redis', redis_prefix: PREFIX });
    expect(worker.started).not.toHaveProperty('api_docs');
    expect(String(worker.started.msg)).toContain('as a worker');
    expect(api.started).toMatchObject({ role: 'api', api_docs: `${api.url}/docs` });
  });

  it('answers its orchestrator’s probes: /healthz and /readyz 200, /metrics when enabled', async () => {
    const health = await fetch(`${worker.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${worker.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'redis' });
    const metrics = await fetch(`${worker.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# (HELP|TYPE) /m);
  });

  it('serves no API route, with or without a key: 404 problem+json, where an api node serves them', async () => {
    for (const headers of [{}, authorized]) {
      expect(await problemOf(await fetch(`${worker.url}/v1/sessions`, { headers }))).toEqual(NOT_FOUND);
      const post = await fetch(`${worker.url}/v1/runs`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ message: 'hello' }),
      });
      expect(await problemOf(post)).toEqual(NOT_FOUND);
    }
    const onApi = await fetch(`${api.url}/v1/sessions`, { headers: authorized });
    expect(onApi.status).toBe(200);
    await onApi.body?.cancel();
  });

  it('serves no dashboard, API reference or spec', async () => {
    for (const path of ['/', '/docs', '/openapi.json']) {
      const onWorker = await fetch(`${worker.url}${path}`);
      expect(await problemOf(onWorker), path).toEqual(NOT_FOUND);
      const onApi = await fetch(`${api.url}${path}`);
      expect(onApi.status, path).toBe(200);
      await onApi.body?.cancel();
    }
  });

  it('takes no Socket.IO handshake: 404, where an api node opens one', async () => {
    const onWorker = await fetch(`${worker.url}${SOCKET_HANDSHAKE}`);
    expect(await problemOf(onWorker)).toEqual(NOT_FOUND);
    const onApi = await fetch(`${api.url}${SOCKET_HANDSHAKE}`);
    expect(onApi.status).toBe(200);
    // Engine.IO's open packet: `0` and the session's JSON.
    expect(await onApi.text()).toMatch(/^0\{"sid":/);
  });

  it('stops gracefully on SIGTERM', async () => {
    worker.server.child.kill('SIGTERM');
    expect(await worker.server.exited).toBe(0);
    expect(worker.server.lines.some((line) => line.includes('shutting down'))).toBe(true);
  });
});
