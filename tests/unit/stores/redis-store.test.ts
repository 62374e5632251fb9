import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../../stores/redis/redis-store.ts';
import { makeCheckpoint, makeEvent, makeMessage, makeRun, makeSession } from './fixtures.ts';
import { describeDurableStoreConformance, describeStoreConformance } from './store-conformance.ts';

/** The Redis these tests use: see tests/setup/redis.ts (6379, or a throwaway redis-server). */
const REDIS_URL = inject('redisUrl');

/** One connection of our own, to list and delete every key the tests wrote. */
const admin = new Redis(REDIS_URL);
/** Every prefix this file used; each test's store gets its own, so files and tests never share keys. */
const prefixes: string[] = [];

function freshPrefix(): string {
  const prefix = `tributary-test:${randomUUID()}:`;
  prefixes.push(prefix);
  return prefix;
}

/** Every key under `prefix`, by SCAN (tests only: the store itself never scans). */
async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  // The prefix is a UUID and fixed text: no glob characters to escape.
  const stream = admin.scanStream({ match: `${prefix}*`, count: 500 });
  for await (const batch of stream) keys.push(...(batch as string[]));
  return keys.sort();
}

afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await keysUnder(prefix);
    if (keys.length > 0) await admin.del(...keys);
  }
  await admin.quit();
});

let current = '';
const openFresh = async () => new RedisStore({ url: REDIS_URL, prefix: (current = freshPrefix()) });
describeStoreConformance('RedisStore', { open: openFresh });
describeDurableStoreConformance('RedisStore', {
  open: openFresh,
  reopen: async () => new RedisStore({ url: REDIS_URL, prefix: current }),
  openSecond: async () => new RedisStore({ url: REDIS_URL, prefix: current }),
});

describe('RedisStore keys', () => {
  it('leaves no key but the global order counter once every session is deleted', async () => {
    const prefix = freshPrefix();
    const store = new RedisStore({ url: REDIS_URL, prefix });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const session = makeSession({
          user_id: `user-${i % 2}`,
          agent_id: 'quiz',
          team_id: 't1',
          workflow_id: 'w1',
          state: i % 2 === 0 ? 'active' : 'idle',
          usage: { tokens_in: 10 * i, tokens_out: i },
        });
        ids.push(session.id);
        await store.write({
          session_id: session.id,
          create: session,
          runs: [
            makeRun(session.id, { status: 'running' }),
            makeRun(session.id, { status: 'completed', finished_at: session.created_at, duration_ms: 5 }),
          ],
          messages: [makeMessage(session.id)],
          checkpoints: [makeCheckpoint(session.id)],
          events: [makeEvent(session.id, { type: 'session.created' }), makeEvent(session.id)],
        });
        // Moves between indexes, and token counts rising, must leave nothing behind either.
        await store.write({
          session_id: session.id,
          patch: { user_id: 'moved', state: 'archived', active_run_id: null },
          events: [makeEvent(session.id)],
        });
        await store.write({
          session_id: session.id,
          patch: { usage: { tokens_in: 10 * i + 3, tokens_out: i + 1 } },
        });
      }
      expect(await keysUnder(prefix)).toEqual(
        expect.arrayContaining([
          `${prefix}stats:tokens_in`,
          `${prefix}stats:tokens_out`,
          `${prefix}runfinished`,
        ]),
      );
      expect(await store.deleteSessions(ids)).toEqual(ids);
      expect(await keysUnder(prefix)).toEqual([`${prefix}order`]);
    } finally {
      await store.close();
    }
  });

  it('never touches keys under another prefix', async () => {
    const foreign = freshPrefix();
    await admin.set(`${foreign}s:x`, 'not ours');
    const store = new RedisStore({ url: REDIS_URL, prefix: freshPrefix() });
    try {
      const session = makeSession();
      await store.write({ session_id: session.id, create: session });
      await store.deleteSessions([session.id, 'x']);
      expect(await admin.get(`${foreign}s:x`)).toBe('not ours');
    } finally {
      await store.close();
    }
  });

  it('answers STORE_CORRUPT for a foreign value under its prefix, for that session only', async () => {
    const prefix = freshPrefix();
    const store = new RedisStore({ url: REDIS_URL, prefix });
    try {
      const good = makeSession();
      await store.write({ session_id: good.id, create: good });
      await admin.set(`${prefix}s:foreign`, 'not a hash');
      await admin.hset(`${prefix}s:garbled`, 'id', '{oops');
      await expect(store.getSession('foreign')).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
      await expect(store.getSession('garbled')).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
      expect(await store.getSession(good.id)).toEqual(good);
    } finally {
      await store.close();
    }
  });

  it('refuses a write to a session another connection deleted, and recreates no key', async () => {
    const prefix = freshPrefix();
    const [one, two] = [0, 1].map(() => new RedisStore({ url: REDIS_URL, prefix }));
    if (!one || !two) throw new Error('no store');
    try {
      const session = makeSession();
      await one.write({ session_id: session.id, create: session, events: [makeEvent(session.id)] });
      await two.deleteSessions([session.id]);
      await expect(
        one.write({ session_id: session.id, runs: [makeRun(session.id)], events: [makeEvent(session.id)] }),
      ).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
      expect(await keysUnder(prefix)).toEqual([]);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('keeps a finished run final: a later write of it (a second terminal event) is skipped whole', async () => {
    const prefix = freshPrefix();
    const [one, two] = [0, 1].map(() => new RedisStore({ url: REDIS_URL, prefix }));
    if (!one || !two) throw new Error('no store');
    try {
      const session = makeSession();
      const run = makeRun(session.id, { status: 'running' });
      await one.write({
        session_id: session.id,
        create: session,
        runs: [run],
        events: [makeEvent(session.id)],
      });
      const end = (status: 'completed' | 'failed') => ({
        session_id: session.id,
        runs: [{ ...run, status }],
        events: [makeEvent(session.id, { run_id: run.id, type: `run.${status}` })],
      });
      expect(await one.write(end('completed'))).toHaveLength(1);
      // The other process, which took the run for lost, ends it too: nothing of that write lands.
      expect(await two.write(end('failed'))).toEqual([]);
      expect(await two.getRun(session.id, run.id)).toMatchObject({ status: 'completed' });
      const events = await two.listEvents(session.id, { after: 0, limit: 100 });
      expect(events.map((event) => event.type)).toEqual(['step', 'run.completed']);
      // Other writes of the session still land.
      expect(await two.write({ session_id: session.id, events: [makeEvent(session.id)] })).toHaveLength(1);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('answers STORE_UNAVAILABLE soon, naming the cause, when nothing listens at the URL', async () => {
    const port = await freePort();
    const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, prefix: freshPrefix() });
    try {
      const started = Date.now();
      await expect(store.ping()).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        message: expect.stringContaining('ECONNREFUSED'),
      });
      await expect(store.getSession('any')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await store.close();
    }
  });
});

/** A TCP port nothing listens on (bound once by the OS, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
