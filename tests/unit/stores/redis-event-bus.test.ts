import { Redis } from 'ioredis';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../core/index.ts';
import { RedisEventBus } from '../../../stores/redis/redis-event-bus.ts';
import { RedisStore } from '../../../stores/redis/redis-store.ts';
import { OwnRedis } from '../../fixtures/own-redis.ts';
import { startRuntime } from '../../fixtures/runtime.ts';
import { useTestPrefix } from '../../fixtures/redis-prefix.ts';

/** One process's view: its own connection, bus and runtime on the shared prefix. */
interface Node {
  store: RedisStore;
  bus: RedisEventBus;
  runtime: Runtime;
}

const nodes: Node[] = [];

async function startNode(url: string, prefix: string): Promise<Node> {
  const store = new RedisStore({ url, prefix });
  const bus = new RedisEventBus(store);
  const runtime = await startRuntime({}, { store, bus });
  const node = { store, bus, runtime };
  nodes.push(node);
  return node;
}

afterEach(async () => {
  for (const { runtime, bus, store } of nodes.splice(0)) {
    await runtime.shutdown();
    await bus.shutdown();
    await store.close();
  }
});

const progress = (n: number) => ({ type: 'progress' as const, message: `event ${n}` });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function appendOn(node: Node, sessionId: string, from: number, to: number): Promise<void> {
  for (const n of range(from, to))
    await node.runtime.log.commit({ session_id: sessionId, trace_id: null, events: [progress(n)] });
}

describe('RedisEventBus on the shared Redis', () => {
  const { url, prefix } = useTestPrefix();

  it('brings what one process appends to a reader on another, each seq once and in order', async () => {
    const a = await startNode(url, prefix);
    const b = await startNode(url, prefix);
    const session = await b.runtime.sessions.create();
    await appendOn(b, session.id, 1, 20);
    // A reads from the middle while B and A both go on appending to the one session.
    const reading = firstValueFrom(a.runtime.events.events$(session.id, 10).pipe(take(190), toArray()));
    await Promise.all([appendOn(b, session.id, 21, 120), appendOn(a, session.id, 121, 200)]);
    const seqs = (await reading).map((event) => event.seq);
    expect(seqs).toEqual(range(11, 200));
  });

  it('completes the streams of a session expired by another process', async () => {
    const a = await startNode(url, prefix);
    const b = await startNode(url, prefix);
    const session = await a.runtime.sessions.create();
    const reading = firstValueFrom(a.runtime.events.events$(session.id).pipe(toArray()));
    await b.runtime.sessions.expire([session], 'forced');
    const types = (await reading).map((event) => event.type);
    expect(types.at(-1)).toBe('session.expired');
  });
});

describe('RedisEventBus when its connection drops', () => {
  let redis: OwnRedis;
  let admin: Redis;
  beforeAll(async () => {
    redis = await OwnRedis.start();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await admin.quit();
    await redis.stop();
  });

  it('fills from the store what was published while it was away, the end of the stream included', async () => {
    const a = await startNode(redis.url, 'tributary:');
    const b = await startNode(redis.url, 'tributary:');
    const session = await b.runtime.sessions.create();
    const seen: number[] = [];
    const subscription = a.runtime.events.events$(session.id).subscribe((event) => seen.push(event.seq));
    await appendOn(b, session.id, 1, 5);
    await until(() => seen.at(-1) === 6);
    // Drop A's subscriber connection: what B publishes until it subscribes again is lost on pub/sub.
    await admin.client('KILL', 'TYPE', 'pubsub');
    await appendOn(b, session.id, 6, 15);
    // Nothing more is appended: only the bus's newest-event read on reconnect can reveal 16.
    await until(() => seen.at(-1) === 16);
    subscription.unsubscribe();
    expect(seen).toEqual(range(1, 16));
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
