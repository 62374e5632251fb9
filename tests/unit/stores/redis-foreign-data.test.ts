import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import type { Runtime } from '../../../core/index.ts';
import { RedisStore } from '../../../stores/redis/redis-store.ts';
import { startRuntime } from '../../fixtures/runtime.ts';
import { makeEvent, makeMessage, makeRun, makeSession } from './fixtures.ts';

/*
 * What RedisStore does with keys it did not write: under another prefix it never touches them;
 * under its own prefix (a foreign or damaged value) it answers STORE_CORRUPT for that one session,
 * writes nothing half, and every other session, listing, count, stat and sweep goes on.
 */

const REDIS_URL = inject('redisUrl');
const admin = new Redis(REDIS_URL);
const prefixes: string[] = [];
const opened: { close(): Promise<void> }[] = [];

function freshPrefix(): string {
  const prefix = `tributary-test:${randomUUID()}:`;
  prefixes.push(prefix);
  return prefix;
}

async function keysUnder(pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of admin.scanStream({ match: pattern, count: 500 }))
    keys.push(...(batch as string[]));
  return keys.sort();
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

afterAll(async () => {
  for (const prefix of prefixes) {
    // The prefix text without its colon too: the foreign test writes keys that merely start with it.
    const keys = await keysUnder(`${prefix.slice(0, -1)}*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  await admin.quit();
});

/** Type, serialized value and time to live of each key: what "untouched" means. */
async function snapshot(keys: readonly string[]) {
  return Promise.all(
    keys.map(async (key) => ({
      key,
      type: await admin.type(key),
      value: (await admin.dumpBuffer(key))?.toString('base64') ?? null,
      ttl: (await admin.pttl(key)) > 0,
    })),
  );
}

describe('keys another application wrote', () => {
  it('are never touched by creates, writes, sweeps, stats, listings and deletes, whatever the ids', async () => {
    const ours = freshPrefix();
    const foreign = freshPrefix();
    // Keys of every type the store uses, under another prefix, and keys that merely start with our
    // prefix's text (without its colon, and with more after it).
    const bare = ours.slice(0, -1);
    await admin.set(`${foreign}s:x`, 'not ours');
    await admin.hset(`${foreign}s:y`, { id: '"y"', state: '"active"' });
    await admin.zadd(`${foreign}idx:all`, 0, `2026\0x`);
    await admin.zadd(`${foreign}sweep:active`, 0, `2020\0x`);
    await admin.xadd(`${foreign}ev:x`, '1-0', 'e', '{}');
    await admin.set(`${foreign}order`, '41');
    await admin.set(bare, 'bare', 'EX', 3600);
    await admin.hset(`${bare}s:x`, 'id', '"x"');
    await admin.set(`${bare}x:s:x`, 'longer');
    const foreignKeys = [...(await keysUnder(`${foreign}*`)), bare, `${bare}s:x`, `${bare}x:s:x`];
    expect(foreignKeys).toHaveLength(9);
    const before = await snapshot(foreignKeys);

    const store = new RedisStore({ url: REDIS_URL, prefix: ours });
    const runtime: Runtime = await startRuntime(
      { IDLE_AFTER_SECONDS: '1', SESSION_TTL_SECONDS: '1', MAX_SESSIONS_PER_USER: '3' },
      { store },
    );
    opened.push({ close: () => runtime.shutdown() });
    const sessions = await Promise.all(
      ['x', 'y', 'x'].map((user) => runtime.sessions.create({ user_id: user })),
    );
    const [first, second, third] = sessions;
    if (!first || !second || !third) throw new Error('no session');
    const run = await runtime.runs.create(first.id, { input: { question: 'hello' } });
    await runtime.sessions.update(second.id, { name: 'renamed', data: { k: 1 } });
    await runtime.sessions.recordProgress(third.id, { message: 'half way' });
    await runtime.runs.cancel(first.id, run.id).catch(() => undefined);
    await runtime.sweeper.sweep();
    await runtime.sweeper.sweep({ force: true });
    await runtime.stats();
    await runtime.stats({ user_id: 'x' });
    await runtime.sessions.list({ user_id: 'x' });
    await store.countSessions({ user_id: 'y', state: 'expired' });
    // Ids that name the foreign keys, or try to reach out of the prefix, or hold glob characters.
    const odd = ['x', 'y', '*', `../${foreign}s:x`, `${foreign}s:x`, '', ' '];
    expect(await store.deleteSessions(odd)).toEqual([]);
    await expect(store.getSession('x')).resolves.toBeNull();
    expect(await runtime.sessions.removeMany({ user_id: 'x' })).toBe(2);
    expect(await store.deleteSessions(sessions.map((s) => s.id))).toEqual([second.id]);

    expect(await keysUnder(`${ours}*`)).toEqual([`${ours}order`]);
    expect(await snapshot(foreignKeys)).toEqual(before);
  });
});

describe('a foreign or damaged value under our prefix', () => {
  async function open(): Promise<{ store: RedisStore; prefix: string }> {
    const prefix = freshPrefix();
    const store = new RedisStore({ url: REDIS_URL, prefix });
    opened.push(store);
    return { store, prefix };
  }

  /** Creates a session with a run, a message and two events, as the store writes them. */
  async function seeded(store: RedisStore, overrides: Parameters<typeof makeSession>[0] = {}) {
    const session = makeSession({ user_id: 'ann', ...overrides });
    await store.write({
      session_id: session.id,
      create: session,
      runs: [makeRun(session.id, { status: 'completed' })],
      messages: [makeMessage(session.id)],
      events: [makeEvent(session.id, { type: 'session.created' }), makeEvent(session.id)],
    });
    return { ...session, last_seq: 2 };
  }

  const corruptOf = (id: string) => ({
    name: 'TributaryError',
    code: 'STORE_CORRUPT',
    field: 'session_id',
    details: { session_id: id },
    message: expect.stringContaining(`session ${id}`) as unknown,
  });

  it('answers STORE_CORRUPT naming the session on each read of it, and other sessions read fine', async () => {
    const { store, prefix } = await open();
    const good = await seeded(store);
    const [wrongType, notJson, missingField, badEvent, eventsNotAStream, badRun] = await Promise.all(
      Array.from({ length: 6 }, () => seeded(store)),
    );
    if (!wrongType || !notJson || !missingField || !badEvent || !eventsNotAStream || !badRun)
      throw new Error('seed');
    // A string where the session hash should be (WRONGTYPE), a field that is no JSON, a field missing.
    await admin.del(`${prefix}s:${wrongType.id}`);
    await admin.set(`${prefix}s:${wrongType.id}`, 'a string');
    await admin.hset(`${prefix}s:${notJson.id}`, 'state', '{oops');
    await admin.hdel(`${prefix}s:${missingField.id}`, 'metadata');
    // An event that is no JSON, an event log that is no stream, a run record that is no JSON.
    await admin.xadd(`${prefix}ev:${badEvent.id}`, '3-0', 'e', 'not json');
    await admin.del(`${prefix}ev:${eventsNotAStream.id}`);
    await admin.set(`${prefix}ev:${eventsNotAStream.id}`, 'a string');
    const [runId] = await admin.hkeys(`${prefix}runs:${badRun.id}`);
    await admin.hset(`${prefix}runs:${badRun.id}`, runId!, '7|completed|{broken');

    for (const s of [wrongType, notJson, missingField])
      await expect(store.getSession(s.id)).rejects.toMatchObject(corruptOf(s.id));
    await expect(store.getSession('not-a-hash-only')).resolves.toBeNull();
    for (const s of [badEvent, eventsNotAStream])
      await expect(store.listEvents(s.id, { after: 0, limit: 10 })).rejects.toMatchObject(corruptOf(s.id));
    await expect(store.eventBounds(eventsNotAStream.id)).rejects.toMatchObject(
      corruptOf(eventsNotAStream.id),
    );
    await expect(store.listRuns(badRun.id)).rejects.toMatchObject(corruptOf(badRun.id));
    await expect(store.getRun(badRun.id, runId!)).rejects.toMatchObject(corruptOf(badRun.id));
    await admin.set(`${prefix}msgs:${good.id}x`, 'a string');
    await expect(store.listMessages(`${good.id}x`)).rejects.toMatchObject(corruptOf(`${good.id}x`));

    // The rest of each damaged session, and every other session, read as written.
    expect(await store.getSession(good.id)).toEqual(good);
    expect(await store.getSession(badEvent.id)).toEqual(badEvent);
    expect((await store.listEvents(good.id, { after: 0, limit: 10 })).map((e) => e.seq)).toEqual([1, 2]);
    expect(await store.listRuns(good.id)).toHaveLength(1);
  });

  it('counts a damaged token count as 0, and writes, deletes and user stats go on', async () => {
    const { store, prefix } = await open();
    await seeded(store, { usage: { tokens_in: 5, tokens_out: 1 } });
    const damaged = await seeded(store, { usage: { tokens_in: 7, tokens_out: 2 } });
    // What Lua reads as infinite, or not as a number: an INCRBY of either would fail a script half way.
    const damage = () => admin.hset(`${prefix}s:${damaged.id}`, '_tin', '1e400', '_tout', 'many');
    await damage();
    expect((await store.stats({ user_id: 'ann' })).usage).toEqual({ tokens_in: 5, tokens_out: 1 });
    await store.write({ session_id: damaged.id, patch: { usage: { tokens_in: 9, tokens_out: 4 } } });
    expect((await store.getSession(damaged.id))?.usage).toEqual({ tokens_in: 9, tokens_out: 4 });
    expect((await store.stats({ user_id: 'ann' })).usage).toEqual({ tokens_in: 14, tokens_out: 5 });
    await damage();
    expect(await store.deleteSessions([damaged.id])).toEqual([damaged.id]);
    expect((await store.stats({ user_id: 'ann' })).usage).toEqual({ tokens_in: 5, tokens_out: 1 });
  });

  it('leaves a damaged session out of listings, counts by filter, user stats and sweeps (skip and log)', async () => {
    const { store, prefix } = await open();
    const warnings: unknown[] = [];
    const logged = new RedisStore({
      url: REDIS_URL,
      prefix,
      logger: { ...silent, warn: (fields: unknown) => void warnings.push(fields) },
    });
    opened.push(logged);
    const good = await seeded(store, { state: 'idle', last_active_at: '2020-01-01T00:00:00.000Z' });
    const wrongType = await seeded(store, { state: 'idle', last_active_at: '2020-01-01T00:00:00.000Z' });
    const notJson = await seeded(store, { state: 'idle', last_active_at: '2020-01-01T00:00:00.000Z' });
    await admin.del(`${prefix}s:${wrongType.id}`);
    await admin.set(`${prefix}s:${wrongType.id}`, 'a string');
    await admin.hset(`${prefix}s:${notJson.id}`, 'metadata', '{oops');

    const page = await logged.listSessions({ user_id: 'ann', limit: 10 });
    expect(page.items.map((s) => s.id)).toEqual([good.id]);
    expect(warnings).toEqual([expect.objectContaining({ session_id: notJson.id })]);
    expect(await store.countSessions({ user_id: 'ann', state: 'idle' })).toBe(2);
    const cutoff = '2030-01-01T00:00:00.000Z';
    const sweep = await store.sweepCandidates({ idleBefore: cutoff, expireBefore: cutoff, force: false });
    expect(sweep.toExpire.map((c) => c.id).sort()).toEqual([good.id, notJson.id].sort());
    expect((await store.stats({ user_id: 'ann' })).sessions_by_state.idle).toBe(2);
    // Nor does it count towards, or break, the user's cap.
    const capped = makeSession({ user_id: 'ann' });
    const created = await store.write({
      session_id: capped.id,
      create: capped,
      expect: { live_sessions_below: 3 },
      events: [makeEvent(capped.id, { type: 'session.created' })],
    });
    expect(created).toHaveLength(1);
    expect((await store.stats()).sessions_by_state.idle).toBe(3);
  });

  it('refuses a write that would touch a damaged session, writing nothing of the call, and never deletes it', async () => {
    const { store, prefix } = await open();
    const good = await seeded(store);
    const wrongType = await seeded(store);
    const notJson = await seeded(store);
    const eventsNotAStream = await seeded(store);
    await admin.del(`${prefix}s:${wrongType.id}`);
    await admin.set(`${prefix}s:${wrongType.id}`, 'a string');
    await admin.hset(`${prefix}s:${notJson.id}`, 'created_at', '{oops');
    await admin.del(`${prefix}ev:${eventsNotAStream.id}`);
    await admin.set(`${prefix}ev:${eventsNotAStream.id}`, 'a string');
    const keysBefore = await keysUnder(`${prefix}*`);

    for (const damaged of [wrongType, notJson, eventsNotAStream]) {
      await expect(
        store.writeMany([
          { session_id: good.id, patch: { name: 'changed' }, events: [makeEvent(good.id)] },
          { session_id: damaged.id, patch: { state: 'idle' }, events: [makeEvent(damaged.id)] },
        ]),
      ).rejects.toMatchObject(corruptOf(damaged.id));
    }
    const fresh = makeSession();
    await admin.set(`${prefix}runs:${fresh.id}`, 'squatter');
    await expect(
      store.write({ session_id: fresh.id, create: fresh, runs: [makeRun(fresh.id)] }),
    ).rejects.toMatchObject(corruptOf(fresh.id));
    expect(await store.getSession(fresh.id)).toBeNull();
    expect(await store.getSession(good.id)).toEqual(good);
    expect((await store.listEvents(good.id, { after: 0, limit: 10 })).map((e) => e.seq)).toEqual([1, 2]);

    expect(await store.deleteSessions([wrongType.id, notJson.id, good.id])).toEqual([good.id]);
    const left = await keysUnder(`${prefix}*`);
    expect(left).toEqual(
      keysBefore
        .filter((k) => !k.endsWith(good.id))
        .concat(`${prefix}runs:${fresh.id}`)
        .sort(),
    );
  });
});

describe('a damaged session among the writes of one event-loop turn', () => {
  it('fails only its own commit: the others, written in the same store call, are stored', async () => {
    const prefix = freshPrefix();
    const runtime = await startRuntime({}, { store: new RedisStore({ url: REDIS_URL, prefix }) });
    opened.push({ close: () => runtime.shutdown() });
    const [good, bad, other] = await Promise.all([0, 1, 2].map(() => runtime.sessions.create()));
    if (!good || !bad || !other) throw new Error('no session');
    await admin.del(`${prefix}ev:${bad.id}`);
    await admin.set(`${prefix}ev:${bad.id}`, 'not a stream');
    // Commits of three sessions in one turn share one writeMany (the log's group commit).
    const results = await Promise.allSettled(
      [good, bad, other].map((s) =>
        runtime.log.commit({
          session_id: s.id,
          trace_id: null,
          events: [{ type: 'progress', message: 'tick' }],
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'STORE_CORRUPT',
      details: { session_id: bad.id },
    });
    for (const s of [good, other])
      expect((await runtime.store.listEvents(s.id, { after: 0, limit: 10 })).map((e) => e.type)).toEqual([
        'session.created',
        'progress',
      ]);
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
