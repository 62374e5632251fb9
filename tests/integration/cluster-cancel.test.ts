import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Run, SessionEvent } from '../../core/index.ts';
import { startCluster, type ClusterNode, type TestCluster, heldClusterEnv } from '../fixtures/cluster.ts';
import { HELD_PLUGINS_MODULE } from '../fixtures/held-plugins.ts';
import { startHeldService, type HeldService } from '../fixtures/held-service.ts';
import { useTestPrefix, type TestPrefix } from '../fixtures/redis-prefix.ts';
import { connectClient, type TestClient } from './socket/socket-client.ts';
import { postJson as post } from '../fixtures/http-json.ts';

// Whole processes on one Redis; a loaded 2-core machine takes seconds to start each.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** Generous: a wait that fails here is a lost cancel or a stuck run, never a slow machine. */
const WAIT_MS = 30_000;

async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const createSession = async (node: ClusterNode, user: string) =>
  (await post<{ id: string }>(`${node.url}/v1/sessions`, { user_id: user })).id;

/** A `held` run: its one tool call waits at the held service under `id` (or answers after `ms`). */
const startHeld = (node: ClusterNode, sessionId: string, input: { id: string; ms?: number }) =>
  post<Run>(`${node.url}/v1/sessions/${sessionId}/runs`, {
    flow: 'held',
    input: { question: `held ${input.id}`, ...input },
  });

const cancelOverHttp = (node: ClusterNode, run: Run) =>
  post<Run>(`${node.url}/v1/sessions/${run.session_id}/runs/${run.id}/cancel`);

async function getRun(node: ClusterNode, run: Run): Promise<Run> {
  const response = await fetch(`${node.url}/v1/sessions/${run.session_id}/runs/${run.id}`);
  return (await response.json()) as Run;
}

/** The session's whole stored log. */
async function storedEvents(node: ClusterNode, sessionId: string): Promise<SessionEvent[]> {
  const response = await fetch(`${node.url}/v1/sessions/${sessionId}/events?limit=1000`);
  return ((await response.json()) as { items: SessionEvent[] }).items;
}

const ofRun = (events: SessionEvent[], run: Run) => events.filter((event) => event.run_id === run.id);
const typesOf = (events: SessionEvent[]) => events.map((event) => event.type);
const TERMINAL = new Set(['run.completed', 'run.failed', 'run.cancelled']);

/** Polls the stored log until the run has a terminal event; the session's events then. */
async function ended(node: ClusterNode, run: Run): Promise<SessionEvent[]> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const events = await storedEvents(node, run.session_id);
    if (ofRun(events, run).some((event) => TERMINAL.has(event.type))) return events;
    if (Date.now() > deadline) throw new Error(`run ${run.id} did not end within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function bullQueue(redis: TestPrefix): Queue {
  const { hostname, port } = new URL(redis.url);
  return new Queue('runs', {
    connection: { host: hostname, port: Number(port || 6379) },
    prefix: `${redis.prefix}bull`,
  });
}

describe('one api node, two workers, CONCURRENCY_LIMIT=1', () => {
  const redis = useTestPrefix();
  let service: HeldService;
  let cluster: TestCluster;
  let queue: Queue;
  const clients: TestClient[] = [];
  const api = () => cluster.apis[0]!;

  beforeAll(async () => {
    service = await startHeldService();
    queue = bullQueue(redis);
    cluster = await startCluster({
      apis: 1,
      workers: 2,
      env: {
        ...heldClusterEnv(redis, service),
        CONCURRENCY_LIMIT: '1',
      },
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    service?.release();
    await cluster?.stop();
    await queue?.close();
    await service?.close();
  });

  describe('cancel of a running run from a node that does not execute it', () => {
    /**
     * Starts a held run on the api node and waits until a worker's tool call is held at the service:
     * the run executes on that worker, mid tool call.
     */
    async function runningOnWorker(tag: string) {
      const sessionId = await createSession(api(), `user-${tag}`);
      const run = await startHeld(api(), sessionId, { id: tag });
      const call = await within(service.received(tag), `the held call of ${tag} arrives`);
      const workerPids = cluster.workers.map((node) => String(node.pid));
      expect(workerPids).toContain(call.pid);
      return { sessionId, run, call };
    }

    /**
     * The worker's in-flight request was aborted and the run has one `run.cancelled` listing the
     * held call, its last event: checked once the session's next run completed, which becomes a
     * job only after the cancelled one's worker let go of it, so a late second end would show.
     */
    async function expectCancelledOnWorker(tag: string, run: Run, reason: string, startedAt: number) {
      const aborted = await within(service.aborted(tag), `the worker's held call of ${tag} aborts`);
      // Not asserted (a loaded machine is slow); the Relay path answers in milliseconds.
      console.info(`${tag}: tool call aborted ${aborted.abortedAt! - startedAt} ms after the cancel`);
      const next = await startHeld(api(), run.session_id, { id: `${tag}-next`, ms: 0 });
      const events = await ended(api(), next);
      expect(typesOf(ofRun(events, next)).at(-1)).toBe('run.completed');

      const own = ofRun(events, run);
      expect(typesOf(own).filter((type) => type === 'run.started')).toHaveLength(1);
      expect(own.filter((event) => TERMINAL.has(event.type)).map((event) => event.type)).toEqual([
        'run.cancelled',
      ]);
      const last = own.at(-1)!;
      expect(last.type).toBe('run.cancelled');
      expect(last.meta).toMatchObject({
        reason,
        aborted_tool_calls: [expect.objectContaining({ tool: 'held_call', attempt: 1 })],
      });
      // The next run may be queued (`run.queued`) before the cancelled one's end is stored (a cancel
      // by marker answers nobody), but it starts only after: the worker let go of the session first.
      const nextStarted = ofRun(events, next).find((event) => event.type === 'run.started');
      expect(last.seq).toBeLessThan(nextStarted!.seq);
      expect(await getRun(api(), run)).toMatchObject({ status: 'cancelled' });
    }

    it('POST …/cancel on the api node aborts the tool call on the worker', async () => {
      const { run } = await runningOnWorker('http-api');
      const startedAt = Date.now();
      const answer = await cancelOverHttp(api(), run);
      console.info(`http-api: cancel answered in ${Date.now() - startedAt} ms`);
      expect(answer).toMatchObject({ id: run.id, status: 'cancelled' });
      await expectCancelledOnWorker('http-api', run, 'cancelled by request', startedAt);
    });

    it('a Socket.IO cancel on the api node aborts the tool call on the worker', async () => {
      const client = await connectClient(api().url);
      clients.push(client);
      const { sessionId, run } = await runningOnWorker('socket-api');
      const startedAt = Date.now();
      const ack = await client.socket
        .timeout(WAIT_MS + 5_000)
        .emitWithAck('cancel', { session_id: sessionId, run_id: run.id });
      console.info(`socket-api: cancel acked in ${Date.now() - startedAt} ms`);
      expect(ack).toEqual({ ok: true, run_id: run.id, status: 'cancelled' });
      await expectCancelledOnWorker('socket-api', run, 'cancelled over Socket.IO', startedAt);
    });

    it('a cancel whose Relay message never reaches the worker still stops the run (its marker)', async () => {
      const { run } = await runningOnWorker('marker-only');
      // What a cancel leaves in Redis before it publishes; here no message follows.
      const startedAt = Date.now();
      await redis.admin.set(`${redis.prefix}runs:cancel:${run.id}`, 'cancelled by marker', 'EX', 60);
      await expectCancelledOnWorker('marker-only', run, 'cancelled by marker', startedAt);
    });

    it('POST …/cancel on an `all` node aborts the tool call on another worker', async () => {
      const { run, call } = await runningOnWorker('http-all');
      // Started once a worker holds the run, so the `all` node (a worker too) cannot be executing it.
      const all = await cluster.add('all');
      expect(String(all.pid)).not.toBe(call.pid);
      const startedAt = Date.now();
      const answer = await cancelOverHttp(all, run);
      console.info(`http-all: cancel answered in ${Date.now() - startedAt} ms`);
      expect(answer).toMatchObject({ id: run.id, status: 'cancelled' });
      await expectCancelledOnWorker('http-all', run, 'cancelled by request', startedAt);
    });
  });

  describe('cancel of a queued run', () => {
    /** The call is at the service, neither answered nor aborted: its run still executes. */
    const stillHeld = (id: string) =>
      service.requests.some(
        (request) => request.id === id && request.answeredAt === undefined && request.abortedAt === undefined,
      );

    it('waiting for a slot (concurrency_limit): it leaves the BullMQ queue and never starts', async () => {
      const holderSession = await createSession(api(), 'user-slot-a');
      const holder = await startHeld(api(), holderSession, { id: 'slot-holder' });
      await within(service.received('slot-holder'), 'the slot holder executes');

      const waitingSession = await createSession(api(), 'user-slot-b');
      const waiting = await startHeld(api(), waitingSession, { id: 'slot-waiting' });
      const queuedEvent = ofRun(await storedEvents(api(), waitingSession), waiting).at(-1)!;
      expect(queuedEvent).toMatchObject({ type: 'run.queued', meta: { reason: 'concurrency_limit' } });
      // A job waiting for the slot, so its removal below is the cancel's doing.
      expect(await queue.getJobState(waiting.id)).toBe('prioritized');

      const answer = await cancelOverHttp(api(), waiting);
      expect(answer).toMatchObject({ id: waiting.id, status: 'cancelled' });
      // Ended while the slot is still taken: taken out of the queue, not started and then stopped.
      expect(stillHeld('slot-holder')).toBe(true);
      expect(await queue.getJob(waiting.id)).toBeUndefined();

      // The slot frees; the holder completes, and a run after it in the cancelled run's session still runs.
      service.release('slot-holder');
      expect(typesOf(ofRun(await ended(api(), holder), holder)).at(-1)).toBe('run.completed');
      const after = await startHeld(api(), waitingSession, { id: 'slot-after', ms: 0 });
      const events = await ended(api(), after);
      expect(typesOf(ofRun(events, after)).at(-1)).toBe('run.completed');

      expect(typesOf(ofRun(events, waiting))).toEqual(['run.queued', 'run.cancelled']);
      expect(service.requests.filter((request) => request.id === 'slot-waiting')).toEqual([]);
      expect(await getRun(api(), waiting)).toMatchObject({ status: 'cancelled', started_at: null });
      expect(await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed')).toEqual({
        wait: 0,
        prioritized: 0,
        active: 0,
        delayed: 0,
      });
    });

    it('waiting behind its session’s active run (session_busy): it never starts, the next one runs in order', async () => {
      const sessionId = await createSession(api(), 'user-line');
      const first = await startHeld(api(), sessionId, { id: 'line-first' });
      await within(service.received('line-first'), 'the first run executes');
      const second = await startHeld(api(), sessionId, { id: 'line-second' });
      const third = await startHeld(api(), sessionId, { id: 'line-third', ms: 0 });
      const queued = ofRun(await storedEvents(api(), sessionId), second);
      expect(queued).toMatchObject([{ type: 'run.queued', meta: { reason: 'session_busy' } }]);

      const answer = await cancelOverHttp(api(), second);
      expect(answer).toMatchObject({ id: second.id, status: 'cancelled' });
      expect(stillHeld('line-first')).toBe(true);
      expect(await queue.getJob(second.id)).toBeUndefined();
      // Nothing of it stays in Redis: no cancel marker waits for a worker that will never take it.
      expect(await redis.admin.exists(`${redis.prefix}runs:cancel:${second.id}`)).toBe(0);

      service.release('line-first');
      const events = await ended(api(), third);
      expect(typesOf(ofRun(events, first)).at(-1)).toBe('run.completed');
      expect(typesOf(ofRun(events, second))).toEqual(['run.queued', 'run.cancelled']);
      expect(typesOf(ofRun(events, third)).at(-1)).toBe('run.completed');
      // In order: the third starts once the first ended.
      const firstEnd = ofRun(events, first).at(-1)!;
      const thirdStart = ofRun(events, third).find((event) => event.type === 'run.started')!;
      expect(thirdStart.seq).toBeGreaterThan(firstEnd.seq);
      expect(service.requests.filter((request) => request.id === 'line-second')).toEqual([]);
      expect(await getRun(api(), second)).toMatchObject({ status: 'cancelled', started_at: null });
    });
  });
});

describe('a worker without the flow', () => {
  const redis = useTestPrefix();
  let cluster: TestCluster;
  let queue: Queue;

  beforeAll(async () => {
    queue = bullQueue(redis);
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix };
    cluster = await startCluster({ apis: 0, workers: 1, env });
    // Only the api node knows `held`; its run is executed by the worker, which does not.
    await cluster.add('api', { PLUGINS: HELD_PLUGINS_MODULE });
  });

  afterAll(async () => {
    await cluster?.stop();
    await queue?.close();
  });

  it('fails the run with FLOW_NOT_FOUND and one run.failed, never retried', async () => {
    const api = cluster.apis[0]!;
    const sessionId = await createSession(api, 'user-missing');
    const run = await startHeld(api, sessionId, { id: 'missing-flow' });
    await ended(api, run);
    // The session's next run becomes a job only once the first let go: a retry of the first would show before.
    const next = await startHeld(api, sessionId, { id: 'missing-flow-next' });
    const events = await ended(api, next);

    const own = ofRun(events, run);
    expect(typesOf(own)).toEqual(['run.queued', 'run.started', 'run.failed']);
    expect(own.at(-1)!.meta).toMatchObject({ code: 'FLOW_NOT_FOUND' });
    expect(await getRun(api, run)).toMatchObject({ status: 'failed', error: { code: 'FLOW_NOT_FOUND' } });
    expect(typesOf(ofRun(events, next))).toEqual(['run.queued', 'run.started', 'run.failed']);
    expect(await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed')).toEqual({
      wait: 0,
      prioritized: 0,
      active: 0,
      delayed: 0,
    });
  });
});
