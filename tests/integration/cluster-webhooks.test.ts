import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Run, SessionEvent } from '../../core/index.ts';
import { signWebhook, webhookKey } from '../../core/webhooks/webhook-signature.ts';
import { startCluster, type ClusterNode, type TestCluster, heldClusterEnv } from '../fixtures/cluster.ts';
import { startHeldService, type HeldService } from '../fixtures/held-service.ts';
import { getJson as get, postJson as post } from '../fixtures/http-json.ts';
import { useTestPrefix } from '../fixtures/redis-prefix.ts';

// Whole processes on one Redis; a loaded 2-core machine takes seconds to start each.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** Generous: a wait that fails here is a lost delivery or a stuck run, never a slow machine. */
const WAIT_MS = 30_000;
const SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

interface Hit {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: { type: string; data: { run: Run; seq: number | null } };
}

/** A webhook receiver on loopback (WEBHOOK_ALLOW_PRIVATE=true on every node): answers 204. */
async function startReceiver() {
  const hits: Hit[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      hits.push({ headers: request.headers, body, json: JSON.parse(body) as Hit['json'] });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const redis = useTestPrefix();
let service: HeldService;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let cluster: TestCluster;
const api = (): ClusterNode => cluster.apis[0]!;

beforeAll(async () => {
  service = await startHeldService();
  receiver = await startReceiver();
  cluster = await startCluster({
    apis: 1,
    workers: 1,
    env: {
      ...heldClusterEnv(redis, service, { CONCURRENCY_LIMIT: '1' }),
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    },
  });
});

afterAll(async () => {
  service?.release();
  await cluster?.stop();
  await receiver?.close();
  await service?.close();
});

const createSession = async (user: string) =>
  (await post<{ id: string }>(`${api().url}/v1/sessions`, { user_id: user })).id;

/** A `held` run with a webhook, created on the api node. */
const startHeld = (sessionId: string, id: string, ms?: number) =>
  post<Run>(`${api().url}/v1/sessions/${sessionId}/runs`, {
    flow: 'held',
    input: { question: `held ${id}`, id, ...(ms === undefined ? {} : { ms }) },
    webhook: { url: receiver.url },
  });

const storedEvents = async (sessionId: string) =>
  (await get<{ items: SessionEvent[] }>(`${api().url}/v1/sessions/${sessionId}/events?limit=1000`)).items;

/**
 * Polls the session's log until the run's webhook attempt is recorded (after its delivery), and
 * answers the run's terminal event, its `webhook.delivery` events and the receiver's hits for it.
 */
async function delivered(run: Run) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const events = await storedEvents(run.session_id);
    const deliveries = events.filter(
      (event) => event.type === 'webhook.delivery' && event.meta?.run_id === run.id,
    );
    if (deliveries.length > 0) {
      const terminal = events.find(
        (event) => event.run_id === run.id && /^run\.(completed|failed|cancelled)$/.test(event.type),
      );
      const hits = receiver.hits.filter((hit) => hit.json.data.run.id === run.id);
      return { terminal, deliveries, hits };
    }
    if (Date.now() > deadline) throw new Error(`no webhook.delivery of run ${run.id} within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function expectSigned(hit: Hit): void {
  const id = String(hit.headers['webhook-id']);
  const timestamp = Number(hit.headers['webhook-timestamp']);
  expect(hit.headers['webhook-signature']).toBe(signWebhook(webhookKey(SECRET), id, timestamp, hit.body));
}

describe('completion webhooks on a cluster (one api node, one worker, CONCURRENCY_LIMIT=1)', () => {
  it('a run created on the api node and executed on the worker is delivered once, signed, with its terminal seq', async () => {
    const sessionId = await createSession('ann');
    const run = await startHeld(sessionId, 'done', 1);
    const call = await service.received('done');
    expect(call.pid).toBe(String(cluster.workers[0]!.pid));
    const { terminal, deliveries, hits } = await delivered(run);
    expect(terminal?.type).toBe('run.completed');
    expect(deliveries).toMatchObject([{ meta: { delivered: true, attempt: 1 } }]);
    expect(hits).toHaveLength(1);
    expectSigned(hits[0]!);
    expect(hits[0]!.headers['webhook-id']).toBe(terminal!.id);
    expect(hits[0]!.json).toMatchObject({ type: 'run.completed', data: { seq: terminal!.seq } });
    expect(hits[0]!.json.data.run).toMatchObject({ id: run.id, status: 'completed' });
  });

  it('a queued run cancelled from the api node, and the running run cancelled on the worker, are each delivered', async () => {
    const sessionId = await createSession('bob');
    const running = await startHeld(sessionId, 'busy');
    await service.received('busy');
    // Behind the active run in the session's line: it never reaches the worker.
    const queued = await startHeld(sessionId, 'queued');
    await post(`${api().url}/v1/sessions/${sessionId}/runs/${queued.id}/cancel`);
    const first = await delivered(queued);
    expect(first.terminal?.type).toBe('run.cancelled');
    expect(first.hits).toHaveLength(1);
    expectSigned(first.hits[0]!);
    expect(first.hits[0]!.json).toMatchObject({ type: 'run.cancelled', data: { seq: first.terminal!.seq } });

    await post(`${api().url}/v1/sessions/${sessionId}/runs/${running.id}/cancel`);
    const second = await delivered(running);
    expect(second.terminal?.type).toBe('run.cancelled');
    expect(second.hits).toHaveLength(1);
    expectSigned(second.hits[0]!);
    expect(second.hits[0]!.json).toMatchObject({
      type: 'run.cancelled',
      data: { seq: second.terminal!.seq },
    });
  });
});
