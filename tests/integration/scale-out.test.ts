import { createServer, connect, type Server, type Socket as TcpSocket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Run, SessionEvent } from '../../core/index.ts';
import { useTestPrefix } from '../fixtures/redis-prefix.ts';
import { running, spawnGateway, type ServerProcess } from '../fixtures/server-process.ts';
import { TEST_PLUGINS } from './gateway/platform.ts';
import { SseStream } from './gateway/sse.ts';
import { connectClient, range, seqsOf, type TestClient } from './socket/socket-client.ts';
import { postJson as post } from '../fixtures/http-json.ts';

// Three whole gateway processes on one Redis; a loaded 2-core machine takes seconds to start each.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const { url: REDIS_URL, prefix: PREFIX } = useTestPrefix();

interface Node {
  server: ServerProcess;
  url: string;
}

const nodes: Node[] = [];
const clients: TestClient[] = [];
const streams: SseStream[] = [];

async function startNode(): Promise<Node> {
  const server = spawnGateway({
    STORE: 'redis',
    REDIS_URL,
    REDIS_PREFIX: PREFIX,
    PORT: '0',
    PLUGINS: TEST_PLUGINS,
    DEFAULT_FLOW: 'tick',
  });
  const node = { server, url: '' };
  nodes.push(node);
  node.url = (await running(server)).url;
  return node;
}

beforeAll(async () => {
  await Promise.all([startNode(), startNode(), startNode()]);
});

afterAll(async () => {
  for (const client of clients) client.close();
  for (const stream of streams) stream.close();
  for (const { server } of nodes) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  await Promise.all(nodes.map(({ server }) => server.exited));
});

const createSession = async (node: Node) => (await post<{ id: string }>(`${node.url}/v1/sessions`, {})).id;
const startTicks = (node: Node, sessionId: string, ticks: number) =>
  post<Run>(`${node.url}/v1/sessions/${sessionId}/runs`, {
    flow: 'tick',
    input: { question: 'tick', ticks, everyMs: 5 },
  });

/** The whole stored log of a session, read from `node`. */
async function storedEvents(node: Node, sessionId: string): Promise<SessionEvent[]> {
  const response = await fetch(`${node.url}/v1/sessions/${sessionId}/events?limit=1000`);
  return ((await response.json()) as { items: SessionEvent[] }).items;
}

async function socketOn(url: string, reconnection = false): Promise<TestClient> {
  const client = await connectClient(url, { reconnection });
  clients.push(client);
  return client;
}

async function sseOn(node: Node, sessionId: string, lastEventId?: number): Promise<SseStream> {
  const stream = await SseStream.open(
    `${node.url}/v1/sessions/${sessionId}/events/stream`,
    lastEventId === undefined ? {} : { 'Last-Event-ID': String(lastEventId) },
  );
  streams.push(stream);
  return stream;
}

const completes = (runId: string) => (event: SessionEvent) =>
  event.run_id === runId && event.type === 'run.completed';

describe('three gateway processes on one Redis', () => {
  it('bring every event of a run on one process to clients of every process, once and in order', async () => {
    const [p1, p2, p3] = nodes as [Node, Node, Node];
    const sessionId = await createSession(p1);
    // From the start, on the third process: SSE and Socket.IO.
    const sse3 = await sseOn(p3, sessionId);
    const socket3 = await socketOn(p3.url);
    expect((await socket3.subscribe(sessionId)).ok).toBe(true);

    const run = await startTicks(p2, sessionId, 120);
    // Mid-run, on the first process: new subscribers replay, then go live.
    await socket3.until((event) => event.seq >= 15, 30_000);
    const sse1 = await sseOn(p1, sessionId);
    const socket1 = await socketOn(p1.url);
    expect((await socket1.subscribe(sessionId)).ok).toBe(true);

    // Readers that leave one process and come back on another with their cursor.
    const leaving = await socketOn(p1.url);
    expect((await leaving.subscribe(sessionId)).ok).toBe(true);
    const seenBefore = (await leaving.until((event) => event.seq >= 30, 30_000)).seq;
    leaving.close();
    const before = leaving.events.filter((event) => event.seq <= seenBefore);
    const returning = await socketOn(p3.url);
    expect((await returning.subscribe(sessionId, seenBefore)).ok).toBe(true);
    const sseLeaving = await sseOn(p1, sessionId);
    const sseSeen = (await sseLeaving.until((events) => events.some((e) => e.seq >= 35), 30_000)).at(-1)!;
    sseLeaving.close();
    const sseReturning = await sseOn(p3, sessionId, sseSeen.seq);

    const end = await socket3.until(completes(run.id), 60_000);
    const stored = await storedEvents(p2, sessionId);
    expect(seqsOf(stored)).toEqual(range(1, end.seq));
    for (const client of [socket3, socket1]) {
      await client.until(completes(run.id), 30_000);
      expect(client.events).toEqual(stored);
    }
    await returning.until(completes(run.id), 30_000);
    expect([...before, ...returning.events]).toEqual(stored);
    for (const stream of [sse3, sse1])
      expect(await stream.until((events) => events.some(completes(run.id)))).toEqual(stored);
    const resumed = await sseReturning.until((events) => events.some(completes(run.id)));
    expect([...sseLeaving.events.filter((e) => e.seq <= sseSeen.seq), ...resumed]).toEqual(stored);
  });

  it('recovers a Socket.IO connection on another process, even when the one it left dies', async () => {
    const [p1, p2] = nodes as [Node, Node, Node];
    const left = await startNode();
    const proxy = await SwitchingProxy.start(left.url);
    try {
      const sessionId = await createSession(p1);
      const client = await socketOn(proxy.url, true);
      expect((await client.subscribe(sessionId)).ok).toBe(true);
      const run = await startTicks(p2, sessionId, 150);
      await client.until((event) => event.seq >= 20, 30_000);
      // Connected again once the namespace is (the manager's 'reconnect' comes before `recovered` is known).
      const reconnected = new Promise<void>((resolve) =>
        client.socket.once('disconnect', () => client.socket.once('connect', () => resolve())),
      );
      // The balancer now sends new connections to p1, and the one to the left process drops.
      proxy.switchTo(p1.url);
      await reconnected;
      expect(client.socket.recovered).toBe(true);
      // Nothing of the rest may depend on the process the client left.
      left.server.child.kill('SIGKILL');
      await client.until(completes(run.id), 60_000);
      expect(client.events).toEqual(await storedEvents(p1, sessionId));
    } finally {
      await proxy.close();
    }
  });

  it('keeps serving every other session on the other processes when one is killed', async () => {
    const [p1, p2, p3] = nodes as [Node, Node, Node];
    const doomed = await createSession(p1);
    const endless = await startTicks(p2, doomed, 1_000_000);
    // A cancel on any process reaches the run wherever it executes (BullMQ's Relay to its worker).
    const cancel = await fetch(`${p1.url}/v1/sessions/${doomed}/runs/${endless.id}/cancel`, {
      method: 'POST',
    });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toMatchObject({ status: 'cancelled' });
    p2.server.child.kill('SIGKILL');
    await p2.server.exited;

    const sessionId = await createSession(p1);
    const socket1 = await socketOn(p1.url);
    expect((await socket1.subscribe(sessionId)).ok).toBe(true);
    const sse3 = await sseOn(p3, sessionId);
    const run = await startTicks(p3, sessionId, 20);
    await socket1.until(completes(run.id), 30_000);
    const stored = await storedEvents(p1, sessionId);
    expect(socket1.events).toEqual(stored);
    expect(await sse3.until((events) => events.some(completes(run.id)))).toEqual(stored);
    // The killed process's session is still readable from the others.
    expect((await storedEvents(p3, doomed)).length).toBeGreaterThan(0);
  });
});

/** A TCP balancer in front of the gateways: `switchTo` sends new connections elsewhere and drops the open ones. */
class SwitchingProxy {
  private readonly open = new Set<TcpSocket>();

  private constructor(
    private readonly server: Server,
    private target: URL,
  ) {
    server.on('connection', (client) => {
      const upstream = connect(Number(this.target.port), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.open.add(socket);
        socket.on('close', () => this.open.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  static async start(target: string): Promise<SwitchingProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new SwitchingProxy(server, new URL(target));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  switchTo(target: string): void {
    this.target = new URL(target);
    for (const socket of this.open) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
