import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TERMINAL_EVENT_TYPES, type SessionEvent } from '../../core/index.ts';
import { RedisStore } from '../../stores/redis/redis-store.ts';
import { gate, GATE_PLUGINS_MODULE } from '../fixtures/gate-plugins.ts';
import { OwnRedis } from '../fixtures/own-redis.ts';
import { connectClient, type TestClient } from './socket/socket-client.ts';
import {
  allEvents,
  expectProblem,
  newSession,
  runToEnd,
  startGateway,
  type Gateway,
  type Reply,
} from './gateway/platform.ts';

/** AOF fsynced on every write: what Redis held before the SIGKILL is there after the restart. */
const AOF_ALWAYS = ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
const DETAIL = 'the session store does not answer; try again later';

let redis: OwnRedis | undefined;
let gw: Gateway | undefined;
let client: TestClient | undefined;
afterEach(async () => {
  client?.close();
  await gw?.close();
  await redis?.stop();
  redis = gw = client = undefined;
});

/** Calls until `done` says the answer is the one awaited (the platform notices Redis leave and return on its own). */
async function until<T>(call: () => Promise<T>, done: (reply: T) => boolean): Promise<T> {
  for (;;) {
    const reply = await call();
    if (done(reply)) return reply;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function expectStoreDown(reply: Reply): void {
  expectProblem(reply, 503, 'STORE_UNAVAILABLE', DETAIL);
  expect(reply.headers.get('retry-after')).toBe('5');
}

const isTerminal = (event: SessionEvent) => (TERMINAL_EVENT_TYPES as readonly string[]).includes(event.type);

describe('Redis outage', () => {
  it('answers 503 STORE_UNAVAILABLE while Redis is down, fails the run in flight once, and serves again when it is back', async () => {
    redis = await OwnRedis.start({ args: AOF_ALWAYS });
    const store = new RedisStore({ url: redis.url, prefix: `tributary-test:${randomUUID()}:` });
    gw = await startGateway({ PLUGINS: GATE_PLUGINS_MODULE, DEFAULT_FLOW: 'gated' }, { store });
    const { api, call } = gw;
    /** A run of the `gated` flow, executing its tool until the test opens the gate. */
    const heldRun = async (sessionId: string) => {
      const held = gate(randomUUID());
      const started = await call('POST', `/v1/sessions/${sessionId}/runs`, {
        json: { input: { question: 'held at a gate', gate: held.name } },
      });
      expect(started.status).toBe(202);
      const runId = (started.body as { id: string }).id;
      await held.reached;
      // The tool is waiting; what the run emitted before it (its step, tool.started) may still be on
      // its way to Redis. Stored before the outage, or a run that writes nothing meanwhile would fail.
      await until(
        () => allEvents(api, sessionId),
        (events) => events.some((e) => e.run_id === runId && e.type === 'tool.started'),
      );
      return { runId, open: held.open };
    };
    const sessionId = await newSession(api, { user_id: 'ann' });
    const { runId, open } = await heldRun(sessionId);
    // Another run whose tool works through the whole outage: it writes nothing meanwhile.
    const quietSession = await newSession(api, { user_id: 'bob' });
    const quiet = await heldRun(quietSession);
    client = await connectClient(gw.url);

    await redis.kill('SIGKILL');
    expectStoreDown(
      await until(
        () => call('GET', '/readyz'),
        (reply) => reply.status !== 200,
      ),
    );
    expect((await call('GET', '/healthz')).status).toBe(200);
    // Writes.
    expectStoreDown(await call('POST', '/v1/sessions', { json: { user_id: 'ann' } }));
    expectStoreDown(
      await call('POST', `/v1/sessions/${sessionId}/runs`, {
        json: { input: { question: 'never', gate: 'never' } },
      }),
    );
    expectStoreDown(await call('PATCH', `/v1/sessions/${sessionId}`, { json: { name: 'renamed' } }));
    // Reads.
    expectStoreDown(await call('GET', `/v1/sessions/${sessionId}`));
    expectStoreDown(await call('GET', `/v1/sessions/${sessionId}/events?after=0`));
    expectStoreDown(await call('GET', `/v1/sessions/${sessionId}/messages`));
    expectStoreDown(await call('GET', `/v1/sessions/${sessionId}/runs/${runId}`));
    expectStoreDown(await call('GET', '/v1/sessions?limit=10'));
    expectStoreDown(await call('GET', `/v1/sessions/${sessionId}/events/stream`));
    expectStoreDown(await call('GET', '/v1/stats'));
    expect(await client.subscribe(sessionId)).toEqual({
      ok: false,
      error: { code: 'STORE_UNAVAILABLE', message: DETAIL },
    });

    // The run's tool ends while Redis is down: what it reports cannot be stored, so the run fails,
    // and its terminal write waits for Redis.
    open();
    // Redis comes back only once the run has ended (on its refused write), not before it tried.
    const { runtime } = gw.platform;
    await until(
      async () => ({ live: runtime.runs.isLive(sessionId, runId) }),
      ({ live }) => !live,
    );
    await redis.restart();

    // The same process serves again, with no restart of its own.
    await until(
      () => call('GET', '/readyz'),
      (reply) => reply.status === 200,
    );
    const run = await runToEnd(api, sessionId, runId);
    expect(run).toMatchObject({ status: 'failed', error: { code: 'STORE_UNAVAILABLE' } });
    const events = await allEvents(api, sessionId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const ofRun = events.filter((e) => e.run_id === runId);
    expect(ofRun.filter(isTerminal).map((e) => e.type)).toEqual(['run.failed']);
    expect(ofRun.at(-1)?.type).toBe('run.failed');
    expect(ofRun.map((e) => e.type)).not.toContain('tool.completed');
    const session = await call('GET', `/v1/sessions/${sessionId}`);
    expect(session.body).toMatchObject({ active_run_id: null, last_seq: events.length });

    // The run that wrote nothing while Redis was away goes on as if nothing happened.
    quiet.open();
    expect(await runToEnd(api, quietSession, quiet.runId)).toMatchObject({ status: 'completed' });

    // Writes, reads and the socket work again on the same session.
    const next = await heldRun(sessionId);
    expect(await client.subscribe(sessionId)).toMatchObject({ ok: true });
    next.open();
    expect(await runToEnd(api, sessionId, next.runId)).toMatchObject({ status: 'completed' });
    expect((await call('POST', '/v1/sessions', { json: { user_id: 'ann' } })).status).toBe(201);
  });

  it('a store call made while Redis is away fails at once instead of waiting for the reconnect', async () => {
    redis = await OwnRedis.start();
    // Reconnects a minute apart: a call that waited for the reconnect would outlive the test.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 60_000 });
    const store = new RedisStore({ redis: connection, prefix: `tributary-test:${randomUUID()}:` });
    try {
      await store.ping();
      const lost = new Promise((resolve) => connection.once('reconnecting', resolve));
      await redis.kill('SIGKILL');
      await lost;
      await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(store.getSession('any')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(store.listEvents('any', { after: 0, limit: 10 })).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        message: expect.stringContaining('not connected'),
      });
    } finally {
      await store.close();
    }
  });
});
