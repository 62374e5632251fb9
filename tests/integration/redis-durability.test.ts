import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import type { EventDraft } from '../../core/events/event.ts';
import { isTributaryError, type Run, type Runtime, type SessionEvent } from '../../core/index.ts';
import { RedisStore } from '../../stores/redis/redis-store.ts';
import { CuttingProxy } from '../fixtures/cutting-proxy.ts';
import { OwnRedis } from '../fixtures/own-redis.ts';
import { startRuntime } from '../fixtures/runtime.ts';
import { makeEvent, makeRun, makeSession } from '../unit/stores/fixtures.ts';

/** AOF fsynced before Redis answers, and no RDB snapshots: what `docs/scale-out.md` prescribes for "nothing acknowledged is lost". */
const AOF_ALWAYS = ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
const SESSIONS = 8;
/** Writers per session: their commits queue behind each other and reach the store together (group commit). */
const IN_FLIGHT = 2;
const EVENTS_PER_COMMIT = 3;
/** Redis is killed once this many events have been acknowledged (a count, not a time). */
const KILL_AFTER = 600;

/** One commit a writer made: its drafts and run, and the events the log answered with (if it answered). */
interface Attempt {
  drafts: EventDraft[];
  run: Run;
  acked: SessionEvent[] | null;
}

interface Writer {
  sessionId: string;
  traceId: string | null;
  /** Events the session had before the writers started (its `session.created`). */
  initial: SessionEvent[];
  /** Every commit made, in the order the session's write queue took them. */
  attempts: Attempt[];
}

let redis: OwnRedis | undefined;
let runtime: Runtime | undefined;
let fresh: RedisStore | undefined;
afterEach(async () => {
  await fresh?.close();
  await runtime?.shutdown().catch(() => undefined);
  await redis?.stop();
  redis = runtime = fresh = undefined;
});

describe('RedisStore durability with AOF appendfsync always', () => {
  it('keeps every acknowledged event and run state through a SIGKILL of Redis, and seq continues', async () => {
    redis = await OwnRedis.start({ args: AOF_ALWAYS });
    const prefix = `tributary-test:${randomUUID()}:`;
    // Once enough is acknowledged, the next store write is sent and Redis is killed right after,
    // so at least one write is surely in flight (sent, unanswered) when Redis dies.
    let ackedEvents = 0;
    let killed: Promise<void> | null = null;
    const own = redis;
    const store = new RedisStore({ url: redis.url, prefix });
    const killing = new Proxy(store, {
      get(target, name) {
        if (name === 'writeMany')
          return (batches: Parameters<RedisStore['writeMany']>[0]) => {
            const written = target.writeMany(batches);
            if (ackedEvents >= KILL_AFTER) killed ??= own.kill('SIGKILL');
            return written;
          };
        const value: unknown = Reflect.get(target, name, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const rt = await startRuntime({}, { store: killing });
    runtime = rt;

    const writers: Writer[] = [];
    for (let i = 0; i < SESSIONS; i += 1) {
      const session = await rt.sessions.create({ user_id: `user-${i}` });
      const initial = await rt.store.listEvents(session.id, { after: 0, limit: 100 });
      writers.push({ sessionId: session.id, traceId: session.trace_id, initial, attempts: [] });
    }

    // Each writer commits a few step events and its run's new state per write, as a run does,
    // through the core's event log (group commit, several sessions per store call).
    const write = async (writer: Writer, lane: number): Promise<void> => {
      const run = makeRun(writer.sessionId, { id: `${writer.sessionId}-run`, status: 'running' });
      for (let k = 0; ; k += 1) {
        const tag = `${lane}.${k}`;
        const attempt: Attempt = {
          drafts: Array.from({ length: EVENTS_PER_COMMIT }, (_, j) => ({
            type: 'step',
            run_id: run.id,
            step: 'tool_called',
            message: `${tag}.${j}`,
          })),
          run: { ...run, usage: { tokens_in: k, tokens_out: lane }, result: { tag } },
          acked: null,
        };
        writer.attempts.push(attempt);
        try {
          attempt.acked = await rt.log.commit({
            session_id: writer.sessionId,
            trace_id: writer.traceId,
            events: attempt.drafts,
            runs: [attempt.run],
          });
        } catch (error) {
          // Not acknowledged: Redis is gone. The test holds Redis only to what it answered.
          if (isTributaryError(error, 'STORE_UNAVAILABLE')) return;
          throw error;
        }
        ackedEvents += attempt.acked.length;
      }
    };
    await Promise.all(writers.flatMap((w) => Array.from({ length: IN_FLIGHT }, (_, lane) => write(w, lane))));
    expect(killed).not.toBeNull();
    await killed;
    expect(ackedEvents).toBeGreaterThanOrEqual(KILL_AFTER);

    await redis.restart();
    fresh = new RedisStore({ url: redis.url, prefix });

    for (const writer of writers) {
      const stored = await fresh.listEvents(writer.sessionId, { after: 0, limit: 10_000 });
      // seq is 1, 2, 3, … with no gap or duplicate.
      expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
      expect(stored.slice(0, writer.initial.length)).toEqual(writer.initial);
      // The session's commits were applied in order: the stored log is the events of a prefix of
      // them, each commit whole, and that prefix holds every acknowledged commit.
      let at = writer.initial.length;
      let applied = 0;
      for (const attempt of writer.attempts) {
        const mine = stored.slice(at, at + attempt.drafts.length);
        if (attempt.acked) {
          expect(mine).toEqual(attempt.acked); // the same content, the same seq
        } else if (mine.length > 0) {
          // Applied but never answered (Redis died between its fsync and its reply): whole, never half.
          expect(mine.map((e) => e.message)).toEqual(attempt.drafts.map((d) => d.message));
        } else {
          break;
        }
        at += mine.length;
        applied += 1;
      }
      expect(at).toBe(stored.length);
      const lastAcked = writer.attempts.findLastIndex((a) => a.acked !== null);
      expect(applied).toBeGreaterThan(lastAcked);
      // The run's state is the one its last applied commit wrote: the last acknowledged one, or
      // an unanswered later one that made it to the AOF.
      const run = await fresh.getRun(writer.sessionId, `${writer.sessionId}-run`);
      expect(run).toEqual(writer.attempts[applied - 1]!.run);

      // The next append continues seq where the log ends.
      const [next] = await fresh.write({
        session_id: writer.sessionId,
        events: [makeEvent(writer.sessionId, { message: 'after restart' })],
      });
      expect(next?.seq).toBe(stored.length + 1);
    }

    // The original store's connection comes back by itself (ioredis reconnects), and its next
    // append through the core continues after the fresh store's.
    await vi.waitFor(() => rt.store.ping(), { timeout: 15_000, interval: 20 });
    for (const writer of writers) {
      const before = await fresh.eventBounds(writer.sessionId);
      const [event] = await rt.log.commit({
        session_id: writer.sessionId,
        trace_id: writer.traceId,
        events: [{ type: 'progress', message: 'original store again' }],
      });
      expect(event?.seq).toBe(before.last_seq + 1);
      const all = await fresh.listEvents(writer.sessionId, { after: 0, limit: 10_000 });
      expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    }
  }, 60_000);
});

describe('RedisStore when the connection drops before Redis answers a write', () => {
  let proxy: CuttingProxy | undefined;
  let store: RedisStore | undefined;
  afterEach(async () => {
    await store?.close();
    await proxy?.close();
    proxy = store = undefined;
  });

  it('does not send the write again: its events are stored once, and the caller hears STORE_UNAVAILABLE', async () => {
    const shared = new URL(inject('redisUrl'));
    proxy = await CuttingProxy.start(shared.hostname, Number(shared.port || 6379));
    const viaProxy = new URL(shared);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    store = new RedisStore({ url: viaProxy.toString(), prefix: `tributary-test:${randomUUID()}:` });
    const session = makeSession();
    const [created] = await store.write({
      session_id: session.id,
      create: session,
      events: [makeEvent(session.id)],
    });

    // Redis applies the write; its answer never reaches the store.
    proxy.cutBeforeNextAnswer();
    const lost = makeEvent(session.id, { message: 'answer lost' });
    await expect(store.write({ session_id: session.id, events: [lost] })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    expect(proxy.cuts).toBe(1);

    // Reconnected, the store finds the write applied once, and the next append continues after it.
    await vi.waitFor(() => store!.ping(), { timeout: 15_000, interval: 20 });
    const [next] = await store.write({ session_id: session.id, events: [makeEvent(session.id)] });
    const events = await store.listEvents(session.id, { after: 0, limit: 10 });
    expect(events.map((e) => [e.seq, e.id])).toEqual([
      [1, created?.id],
      [2, lost.id],
      [3, next?.id],
    ]);
    await store.deleteSessions([session.id]);
  });
});
