import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StoredCheckpoint } from '../../core/checkpoints/checkpoint.ts';
import { TributaryError, errorMessage, isTributaryError } from '../../core/errors.ts';
import { newId } from '../../core/uuid.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import type { SessionEvent } from '../../core/events/event.ts';
import { numbered } from '../../core/events/envelope.ts';
import type { Message } from '../../core/events/message.ts';
import { isFinished, RUN_STATUSES } from '../../core/runs/run.ts';
import type { Run, RunStatus } from '../../core/runs/run.ts';
import { SESSION_STATES } from '../../core/sessions/session.ts';
import type { Page, Session, SessionFilter, SessionState } from '../../core/sessions/session.ts';
import {
  applyPatch,
  assertBatchesShape,
  assertLimit,
  PATCH_KEYS,
  patchedKeys,
  sessionAlreadyExists,
  sessionNotFound,
} from '../../core/store/batch.ts';
import { countedUsage } from '../../core/store/counted-usage.ts';
import { decodeCursor, encodeCursor } from '../../core/store/cursor.ts';
import { EQUALITY_FILTERS, filterStates } from '../../core/store/session-filter.ts';
import type {
  EventBounds,
  ExpireDueQuery,
  FinishedRunSample,
  FinishedRunsQuery,
  ListSessionsQuery,
  SessionStore,
  StatsQuery,
  StoreStats,
  SweepCandidate,
  SweepCandidates,
  SweepQuery,
  WriteBatch,
} from '../../core/store/session-store.ts';
import {
  DELETE_SCRIPT,
  FINISHED_RUNS_SCRIPT,
  LIST_SCRIPT,
  SWEEP_SCRIPT,
  USER_STATS_SCRIPT,
  WRITE_SCRIPT,
} from './redis-scripts.ts';

/** The prefix every key gets when none is given (`REDIS_PREFIX`). */
export const DEFAULT_REDIS_PREFIX = 'tributary:';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]`; `REDIS_URL`. Ignored when `redis` is given. */
  url?: string;
  /** Prepended to every key (`REDIS_PREFIX`); keys under other prefixes are never touched. */
  prefix?: string;
  /**
   * A connection to use instead of opening one (the store still quits it on close). Open it with
   * `autoResendUnfulfilledCommands: false`, as the store does its own (see the constructor).
   */
  redis?: Redis;
  /** Where a corrupt record left out of a listing is reported (silent by default). */
  logger?: Logger;
}

/** What the Lua scripts are called with (see `redis-scripts.ts`); defineCommand adds them at run time. */
interface ScriptCommands {
  tributaryWrite(prefix: string, batches: string, node: string): Promise<(string | number)[]>;
  tributaryDelete(prefix: string, ...ids: string[]): Promise<string[]>;
  tributaryList(
    prefix: string,
    mode: 'list' | 'count',
    candidates: string,
    checks: string,
    states: string,
    max: string,
    limit: number,
  ): Promise<string[][] | number>;
  tributarySweep(prefix: string, index: 'active' | 'idle', max: string): Promise<string[]>;
  tributaryUserStats(
    prefix: string,
    userId: string,
  ): Promise<[string[], [string, number], string[], [string, string]]>;
  tributaryFinishedRuns(prefix: string, sinceMs: string, userJson?: string): Promise<string[]>;
}

type ScriptedRedis = Redis & ScriptCommands;

/** A batch as the write script reads it: every value already a string it stores as is. */
interface ScriptBatch {
  id: string;
  /** Field/value pairs of the new session's hash (empty unless it creates). */
  create?: string[];
  /** Field/value pairs a patch sets. */
  patch: string[];
  /** `WriteBatch.expect` as the script compares it: values JSON-encoded as stored, a cap with its user. */
  expect?: { state?: string[]; last_active_at?: string; user?: string; below?: number };
  /** Event JSON (its seq 0: the stream entry id is the seq, set on read). */
  events: string[];
  /** `[id, status, finished_at in epoch ms ('' when not finished), JSON]` quadruples. */
  runs: string[];
  /** `[id, JSON]` pairs. */
  messages: string[];
  checkpoints: string[];
}

/** The Session fields stored in its hash (last_seq is the store's own counter, kept apart). */
const SESSION_FIELDS = ['id', 'created_at', ...PATCH_KEYS] as const;
type SessionField = (typeof SESSION_FIELDS)[number];
/** Lex separator between a sort key and the id: below every character a timestamp holds. */
const SEP = '\0';

/**
 * A `SessionStore` on Redis through ioredis, for several gateway processes sharing one Redis.
 *
 * - **Atomic batches.** A whole `writeMany` is one Lua script: it checks every batch (creates,
 *   missing sessions) before writing anything, and takes each event's `seq` from the session's
 *   `last_seq` inside Redis, so processes appending to one session never make a gap or a duplicate.
 * - **The event log is a Redis Stream** (`ev:<id>`) whose entry ids are `<seq>-0`. A sorted set of
 *   JSON would page the same way, but a stream gives `after=` paging by id with `XRANGE` and,
 *   for the live tail across processes (issue 11 item 4), `XREAD BLOCK` on the very same key;
 *   trimming old events later is `XTRIM MINID`.
 * - **Indexes, not key scans.** Listing, counting, caps and stats read sorted sets (`idx:*`, lex
 *   ordered by `created_at` then id, so cursor pages are `ZREVRANGEBYLEX` ranges), the sweep reads
 *   `sweep:active|idle` (ordered by `last_active_at`), runs by status `runstatus:*`. The scripts
 *   keep them in step with every create, patch and delete, so deleting sessions leaves no key but
 *   the global `order` counter. The key layout is documented in `redis-scripts.ts`.
 * - **Conditional batches** (`WriteBatch.expect`, the per-user cap) are checked inside the same
 *   script, so processes racing on a session (two sweepers, two creates) cannot both win.
 * - **Data it did not write.** Only keys under `prefix` are ever addressed. A foreign or damaged
 *   value under it is STORE_CORRUPT naming that session, on its reads and on a write that would
 *   touch it (refused before anything is written); listings, sweeps and user stats skip it.
 *
 * Records are JSON in Redis, so every read returns fresh objects (copies by construction).
 *
 * @example
 * ```ts
 * const store = new RedisStore({ url: 'redis://127.0.0.1:6379', prefix: 'tributary:' });
 * await store.ping();
 * const [created] = await store.write({ session_id: s.id, create: s, events: [createdEvent] });
 * await store.listEvents(s.id, { after: 0, limit: 100 }); // [{ ...createdEvent, seq: 1 }]
 * await store.close();
 * ```
 */
export class RedisStore implements SessionStore {
  readonly kind = 'redis';
  /** Several gateway processes use one Redis: runs stored as running may be another process's. */
  readonly shared = true;
  readonly prefix: string;
  /** This store's id on the live channels: a {@link RedisEventBus} skips what its own store published. */
  readonly node = randomUUID();
  /** @internal The store's connection, shared with its {@link RedisEventBus} for reads and publishes. */
  readonly redis: ScriptedRedis;
  private readonly logger: Logger;
  private closed = false;
  /** The last connection error ioredis reported, named in STORE_UNAVAILABLE messages. */
  private lastConnectionError: string | null = null;
  /** Rejects each call waiting for Redis, when the connection drops (see `answered`). */
  private readonly unanswered = new Set<(error: Error) => void>();
  /** Settles when the first connection attempt has: calls made at start wait for it (see `call`). */
  private readonly firstAttempt: Promise<void>;

  constructor(options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.logger = options.logger ?? silentLogger;
    const redis =
      options.redis ??
      new Redis(options.url ?? 'redis://127.0.0.1:6379', {
        // ioredis reconnects in the background for ever; a call made meanwhile fails after one
        // retry (about 50 ms) instead of twenty (about 10 s), so callers see STORE_UNAVAILABLE soon.
        maxRetriesPerRequest: 1,
        // A command sent but unanswered when the connection dropped may have been carried out; sent
        // again after the reconnect, a write would be applied twice (its events stored twice). The
        // call fails instead (see `answered`): unacknowledged, whether Redis applied it or not.
        autoResendUnfulfilledCommands: false,
      });
    // Connection errors surface through the calls they fail (STORE_UNAVAILABLE); without a
    // listener ioredis would also print each reconnect failure as an unhandled error event.
    redis.on('error', (error: unknown) => {
      this.lastConnectionError = errorMessage(error);
    });
    redis.on('ready', () => {
      this.lastConnectionError = null;
    });
    redis.on('close', () => {
      for (const fail of this.unanswered) fail(new Error('connection to redis lost before it answered'));
      this.unanswered.clear();
    });
    this.firstAttempt =
      redis.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            for (const event of ['ready', 'error', 'end']) redis.once(event, () => resolve());
          });
    // A lazy connection given to us connects on its first command, which `call` would never send.
    if (redis.status === 'wait') redis.connect().catch(() => undefined);
    // ioredis sends each script whole once per connection, then calls it by its SHA (EVALSHA).
    redis.defineCommand('tributaryWrite', { numberOfKeys: 0, lua: WRITE_SCRIPT });
    redis.defineCommand('tributaryDelete', { numberOfKeys: 0, lua: DELETE_SCRIPT });
    redis.defineCommand('tributaryList', { numberOfKeys: 0, lua: LIST_SCRIPT });
    redis.defineCommand('tributarySweep', { numberOfKeys: 0, lua: SWEEP_SCRIPT });
    redis.defineCommand('tributaryUserStats', { numberOfKeys: 0, lua: USER_STATS_SCRIPT });
    redis.defineCommand('tributaryFinishedRuns', { numberOfKeys: 0, lua: FINISHED_RUNS_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  writeMany(batches: readonly WriteBatch[]): Promise<SessionEvent[][]> {
    return this.call(async (r) => {
      // Checked and serialised before Redis sees anything: a bad record writes nothing.
      assertBatchesShape(batches);
      const prepared = batches.map(toScriptBatch);
      const [status, ...before] = await r.tributaryWrite(this.prefix, JSON.stringify(prepared), this.node);
      if (status === 'EXISTS') throw sessionAlreadyExists(String(before[0]));
      if (status === 'NOT_FOUND') throw sessionNotFound(String(before[0]));
      if (status === 'CORRUPT') throw corruptSession(String(before[0]));
      // Parsed back from the JSON stored, so the events returned are exactly those a read gives,
      // and share nothing with the caller's drafts.
      return prepared.map((batch, i) =>
        // -1: skipped, its `expect` not met or its run already finished.
        Number(before[i]) < 0
          ? []
          : batch.events.map((json, j): SessionEvent => ({
              ...parseEvent(json),
              seq: Number(before[i]) + j + 1,
            })),
      );
    });
  }

  async write(batch: WriteBatch): Promise<SessionEvent[]> {
    const [events] = await this.writeMany([batch]);
    return events ?? [];
  }

  getSession(id: string): Promise<Session | null> {
    return this.callFor(id, async (r) => sessionFromHash(await r.hgetall(this.key('s', id))));
  }

  listSessions(query: ListSessionsQuery): Promise<Page<Session>> {
    return this.call(async (r) => {
      assertLimit(query.limit);
      const after = query.cursor ? decodeCursor(query.cursor) : null;
      const plan = planFilter(query);
      if (plan === null) return { items: [], next_cursor: null };
      const max = after ? `(${after.created_at}${SEP}${after.id}` : '+';
      // One more than asked for tells whether another page exists.
      const reply = (await r.tributaryList(this.prefix, 'list', ...plan, max, query.limit + 1)) as string[][];
      // A corrupt session is left out of the page (and logged); reading it alone answers STORE_CORRUPT.
      const items = reply
        .slice(0, query.limit)
        .map((pairs) => this.readableSession(pairsToObject(pairs)))
        .filter((s): s is Session => s !== null);
      const last = items.at(-1);
      return { items, next_cursor: reply.length > query.limit && last ? encodeCursor(last) : null };
    });
  }

  countSessions(filter: SessionFilter): Promise<number> {
    return this.call(async (r) => {
      const plan = planFilter(filter);
      if (plan === null) return 0;
      const equalities = EQUALITY_FILTERS.filter((key) => filter[key] !== undefined);
      const states = filterStates(filter);
      // When one kind of index says it all, the count is the size of its sets: no walk.
      if (equalities.length === 0) {
        const keys = states === undefined ? ['idx:all'] : [...new Set(states)].map((s) => `idx:state:${s}`);
        return this.sumCards(r, keys);
      }
      if (equalities.length === 1 && states === undefined)
        return this.sumCards(r, JSON.parse(plan[0]) as string[]);
      return (await r.tributaryList(this.prefix, 'count', ...plan, '+', 0)) as number;
    });
  }

  deleteSessions(ids: readonly string[]): Promise<string[]> {
    return this.call(async (r) => {
      const distinct = [...new Set(ids)];
      if (distinct.length === 0) return [];
      return r.tributaryDelete(this.prefix, ...distinct);
    });
  }

  sweepCandidates(query: SweepQuery): Promise<SweepCandidates> {
    return this.call(async (r) => {
      // With force every free active/idle session expires at once, so nothing is left to idle first.
      if (query.force) return { toIdle: [], toExpire: await this.forcedCandidates(r) };
      const { idleBefore, expireBefore } = query;
      const [toIdle, toExpire] = await Promise.all([
        this.dueCandidates(r, 'active', idleBefore),
        expireBefore === undefined ? [] : this.dueCandidates(r, 'idle', expireBefore),
      ]);
      return { toIdle, toExpire };
    });
  }

  /**
   * Not one script, unlike the other stores' single step: each event id is a random uuid made
   * here, and how many are needed is known only once the due sessions are read. So the due
   * sessions are read, then expired in one `writeMany` (one script) of conditional batches, each
   * expecting its session as read (state and last_active_at): one touched, given a run or expired
   * by another process in between is skipped, so each session still expires once. The write
   * script publishes each event on the session's live channel, as for any other write.
   */
  async expireDue(query: ExpireDueQuery): Promise<SessionEvent[]> {
    const due = await this.call((r) =>
      query.force ? this.forcedCandidates(r) : this.dueCandidates(r, 'idle', query.expireBefore),
    );
    const exclude = new Set(query.exclude);
    const patch = { state: 'expired' as const, updated_at: query.event.ts, expires_at: null };
    const batches: WriteBatch[] = [];
    for (const { id, trace_id, state, last_active_at } of due) {
      if (exclude.has(id)) continue;
      batches.push({
        session_id: id,
        expect: { state, last_active_at },
        patch,
        events: [{ ...query.event, id: newId(), session_id: id, trace_id }],
      });
    }
    if (batches.length === 0) return [];
    return (await this.writeMany(batches)).flat();
  }

  /** Sessions of one sweep index with no run, last active before `before`. */
  private async dueCandidates(
    r: ScriptedRedis,
    index: 'active' | 'idle',
    before: string,
  ): Promise<SweepCandidate[]> {
    return toCandidates(await r.tributarySweep(this.prefix, index, `(${before}`));
  }

  /** Every active or idle session with no run. */
  private async forcedCandidates(r: ScriptedRedis): Promise<SweepCandidate[]> {
    const [active, idle] = await Promise.all(
      (['active', 'idle'] as const).map(async (index) =>
        toCandidates(await r.tributarySweep(this.prefix, index, '+')),
      ),
    );
    return [...(active ?? []), ...(idle ?? [])];
  }

  getRun(sessionId: string, runId: string): Promise<Run | null> {
    return this.callFor(sessionId, async (r) => {
      const value = await r.hget(this.key('runs', sessionId), runId);
      return value === null ? null : parseOrdered<Run>(value, 2).record;
    });
  }

  listRuns(sessionId: string): Promise<Run[]> {
    return this.callFor(sessionId, async (r) =>
      byCreatedThenOrder(Object.values(await r.hgetall(this.key('runs', sessionId))), 2),
    );
  }

  listRunsByStatus(statuses: readonly RunStatus[]): Promise<Run[]> {
    return this.call(async (r) => {
      const wanted = new Set(statuses);
      const replies = await Promise.all([...wanted].map((s) => r.zrange(this.key('runstatus', s), 0, -1)));
      // A run that changed status between two reads shows up in both sets: count it once.
      const members = [...new Set(replies.flat())];
      if (members.length === 0) return [];
      const pipeline = r.pipeline();
      for (const member of members) {
        const [sessionId = '', runId = ''] = member.split(SEP);
        pipeline.hget(this.key('runs', sessionId), runId);
      }
      const values = ((await pipeline.exec()) ?? []).map(([error, value]) => {
        if (error) throw error;
        return value as string | null;
      });
      // The runs are read after the index: keep only those still in a wanted status.
      const runs = byCreatedThenOrder<Run>(
        values.filter((v): v is string => v !== null),
        2,
      );
      return runs.filter((run) => wanted.has(run.status));
    });
  }

  listEvents(sessionId: string, query: { after: number; limit: number }): Promise<SessionEvent[]> {
    return this.callFor(sessionId, async (r) => {
      assertLimit(query.limit);
      if (query.after === Infinity) return [];
      // `seq > after`, as the other stores read it: a fraction rounds down, anything below 0 (or NaN) means all.
      const start = query.after >= 0 ? `${Math.floor(query.after) + 1}-0` : '-';
      const entries = await r.xrange(this.key('ev', sessionId), start, '+', 'COUNT', query.limit);
      return entries.map(([id, fields]) => eventFromEntry(id, fields));
    });
  }

  eventBounds(sessionId: string): Promise<EventBounds> {
    return this.callFor(sessionId, async (r) => {
      const [last, first] = await Promise.all([
        r.hget(this.key('s', sessionId), 'last_seq'),
        r.xrange(this.key('ev', sessionId), '-', '+', 'COUNT', 1),
      ]);
      const firstId = first[0]?.[0];
      return { first_seq: firstId ? seqOf(firstId) : 0, last_seq: last === null ? 0 : Number(last) };
    });
  }

  listMessages(sessionId: string): Promise<Message[]> {
    return this.callFor(sessionId, async (r) =>
      Object.values(await r.hgetall(this.key('msgs', sessionId)))
        .map((v) => parseOrdered<Message>(v, 1))
        .sort((a, b) => a.order - b.order)
        .map((m) => m.record),
    );
  }

  listCheckpoints(sessionId: string): Promise<StoredCheckpoint[]> {
    return this.callFor(sessionId, async (r) =>
      byCreatedThenOrder(Object.values(await r.hgetall(this.key('cps', sessionId))), 1),
    );
  }

  getCheckpoint(sessionId: string, checkpointId: string): Promise<StoredCheckpoint | null> {
    return this.callFor(sessionId, async (r) => {
      const value = await r.hget(this.key('cps', sessionId), checkpointId);
      return value === null ? null : parseOrdered<StoredCheckpoint>(value, 1).record;
    });
  }

  async latestCheckpoint(sessionId: string): Promise<StoredCheckpoint | null> {
    return (await this.listCheckpoints(sessionId)).at(-1) ?? null;
  }

  deleteCheckpoints(sessionId: string, checkpointId?: string): Promise<number> {
    return this.callFor(sessionId, async (r) => {
      const key = this.key('cps', sessionId);
      if (checkpointId !== undefined) return r.hdel(key, checkpointId);
      // HLEN and DEL in one transaction, so the count is of what was deleted.
      const reply = await r.multi().hlen(key).del(key).exec();
      return Number(reply?.[0]?.[1] ?? 0);
    });
  }

  finishedRuns(query: FinishedRunsQuery): Promise<FinishedRunSample[]> {
    return this.call(async (r) => {
      const since = Date.parse(query.since);
      if (!Number.isFinite(since)) return [];
      const values = await (query.user_id === undefined
        ? r.tributaryFinishedRuns(this.prefix, String(since))
        : r.tributaryFinishedRuns(this.prefix, String(since), JSON.stringify(query.user_id)));
      const found: FinishedRunSample[] = [];
      for (const value of values) {
        // A damaged record is left out, as the user stats leave out what they cannot read.
        let run: Run;
        try {
          run = parseOrdered<Run>(value, 2).record;
        } catch {
          continue;
        }
        if (!isFinished(run.status) || typeof run.finished_at !== 'string') continue;
        found.push({
          status: run.status,
          started_at: run.started_at ?? null,
          finished_at: run.finished_at,
          duration_ms: run.duration_ms ?? null,
        });
      }
      return found;
    });
  }

  stats(query: StatsQuery = {}): Promise<StoreStats> {
    return this.call(async (r) => {
      const sessions_by_state = countBy<SessionState>(SESSION_STATES);
      const runs_by_status = countBy<RunStatus>(RUN_STATUSES);
      if (query.user_id !== undefined) {
        const [states, [sum, timed], statuses, [tokensIn, tokensOut]] = await r.tributaryUserStats(
          this.prefix,
          query.user_id,
        );
        for (const raw of states) {
          // A damaged state is counted nowhere, as the other stats (index sizes) leave it out too.
          const state = parseQuietly(raw) as SessionState;
          if (typeof state === 'string' && state in sessions_by_state) sessions_by_state[state] += 1;
        }
        for (const status of statuses) if (status in runs_by_status) runs_by_status[status as RunStatus] += 1;
        return {
          sessions_by_state,
          avg_session_duration_s: average(Number(sum), timed),
          runs_by_status,
          usage: { tokens_in: Number(tokensIn), tokens_out: Number(tokensOut) },
        };
      }
      // One MULTI: every count from the same moment.
      const multi = r.multi();
      for (const state of SESSION_STATES) multi.zcard(this.key('idx', 'state', state));
      for (const status of RUN_STATUSES) multi.zcard(this.key('runstatus', status));
      multi.get(this.key('stats', 'dur_sum')).get(this.key('stats', 'dur_n'));
      multi.get(this.key('stats', 'tokens_in')).get(this.key('stats', 'tokens_out'));
      const replies = ((await multi.exec()) ?? []).map(([error, value]) => {
        if (error) throw error;
        return value;
      });
      SESSION_STATES.forEach((state, i) => (sessions_by_state[state] = Number(replies[i])));
      RUN_STATUSES.forEach(
        (status, i) => (runs_by_status[status] = Number(replies[SESSION_STATES.length + i])),
      );
      const [sum = 0, timed = 0, tokensIn = 0, tokensOut = 0] = replies.slice(-4).map((v) => Number(v ?? 0));
      return {
        sessions_by_state,
        avg_session_duration_s: average(sum, timed),
        runs_by_status,
        usage: { tokens_in: tokensIn, tokens_out: tokensOut },
      };
    });
  }

  ping(): Promise<void> {
    return this.call(async (r) => {
      await r.ping();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.redis.quit();
    } catch {
      // Already disconnected: nothing left to close.
      this.redis.disconnect();
    }
  }

  /** A session from its hash, or null when it is corrupt: that one is logged and skipped. */
  private readableSession(hash: Record<string, string>): Session | null {
    try {
      return sessionFromHash(hash);
    } catch (error) {
      this.logger.warn(
        { session_id: parseQuietly(hash.id ?? 'null') ?? hash.id, err: error },
        'redis: corrupt session record left out of a listing',
      );
      return null;
    }
  }

  /** {@link call} for one session's data: a corrupt record is STORE_CORRUPT naming that session. */
  private async callFor<T>(sessionId: string, work: (redis: ScriptedRedis) => Promise<T>): Promise<T> {
    try {
      return await this.call(work);
    } catch (error) {
      if (!isTributaryError(error, 'STORE_CORRUPT')) throw error;
      throw corruptSession(sessionId, error);
    }
  }

  /** A key under this store's prefix: `key('s', id)` is `<prefix>s:<id>`. */
  private key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  private async sumCards(r: Redis, keys: readonly string[]): Promise<number> {
    const cards = await Promise.all(keys.map((k) => r.zcard(this.prefix + k)));
    return cards.reduce((a, b) => a + b, 0);
  }

  /** Runs `work` on the open connection; Redis failures become STORE_UNAVAILABLE, bad stored data STORE_CORRUPT. */
  private async call<T>(work: (redis: ScriptedRedis) => Promise<T>): Promise<T> {
    if (this.closed) throw new TributaryError('STORE_UNAVAILABLE', 'redis store is closed');
    try {
      // While Redis is away ioredis reconnects in the background and would queue the call until it
      // is back or its retries run out (seconds, once the reconnect delay has grown): fail at once
      // instead, so requests answer 503 fast. Only a call made before the first connection waits for it.
      if (this.redis.status !== 'ready') await this.firstAttempt;
      if (this.redis.status !== 'ready') throw new Error(`not connected (${this.redis.status})`);
      return await this.answered(work(this.redis));
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      // Unparsable JSON, or a key of the wrong type under our prefix: that record is corrupt, Redis is fine.
      if (error instanceof SyntaxError || /^WRONGTYPE/.test(errorMessage(error)))
        throw new TributaryError('STORE_CORRUPT', `redis: ${errorMessage(error)}`, { cause: error });
      const last =
        this.lastConnectionError === null ? '' : ` (last connection error: ${this.lastConnectionError})`;
      throw new TributaryError('STORE_UNAVAILABLE', `redis: ${errorMessage(error)}${last}`, { cause: error });
    }
  }

  /**
   * `reply`, or a rejection if the connection drops first: without resending (see the constructor)
   * ioredis forgets a command left unanswered by a dropped connection, and never settles it.
   */
  private answered<T>(reply: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.unanswered.add(reject);
      reply.then(resolve, reject).finally(() => this.unanswered.delete(reject));
    });
  }
}

/**
 * How the list script walks a filter: `[candidate index keys, field checks, states]` as the JSON
 * strings it takes, or `null` when the filter matches nothing (an empty state list).
 * Every filter that has an index is a candidate; the script walks the smallest and checks the rest.
 */
function planFilter(filter: SessionFilter): [string, string, string] | null {
  const states = filterStates(filter);
  if (states !== undefined && states.length === 0) return null;
  const candidates: string[] = [];
  const checks: string[] = [];
  for (const key of EQUALITY_FILTERS) {
    const value = filter[key];
    if (value === undefined) continue;
    candidates.push(`idx:${key}:${value}`);
    checks.push(key, JSON.stringify(value));
  }
  const distinct = states === undefined ? [] : [...new Set(states)];
  if (distinct.length === 1) candidates.push(`idx:state:${distinct[0]}`);
  return [
    JSON.stringify(candidates),
    JSON.stringify(checks),
    JSON.stringify(distinct.map((s) => JSON.stringify(s))),
  ];
}

/** A batch as the write script takes it: strings only, so Lua's cjson never re-encodes a record. */
function toScriptBatch(batch: WriteBatch): ScriptBatch {
  const patch = batch.patch ?? {};
  const out: ScriptBatch = {
    id: batch.session_id,
    patch: [],
    // numbered() keeps envelope fields only; the seq it gets here is replaced by the entry id on read.
    events: (batch.events ?? []).map((e) => JSON.stringify(numbered(e, 0))),
    runs: (batch.runs ?? []).flatMap((run) => [
      run.id,
      run.status,
      finishedMsOf(run),
      JSON.stringify(normalizeRun(run)),
    ]),
    messages: (batch.messages ?? []).flatMap((m) => [m.id, JSON.stringify(normalizeMessage(m))]),
    checkpoints: (batch.checkpoints ?? []).flatMap((c) => [c.id, JSON.stringify(normalizeCheckpoint(c))]),
  };
  if (batch.expect) out.expect = toScriptExpectation(batch);
  if (batch.create) {
    const session = applyPatch(batch.create, patch);
    out.create = [
      ...SESSION_FIELDS.flatMap((field) => [field, encodeField(field, session[field])]),
      '_ca_ms',
      msOf(session.created_at),
      '_la_ms',
      msOf(session.last_active_at),
      ...tokenFields(session.usage),
    ];
  } else {
    for (const key of patchedKeys(patch)) out.patch.push(key, encodeField(key, patch[key]));
    if (patch.last_active_at !== undefined) out.patch.push('_la_ms', msOf(patch.last_active_at));
    if (patch.usage !== undefined) out.patch.push(...tokenFields(patch.usage));
  }
  return out;
}

function toScriptExpectation({ expect = {}, create }: WriteBatch): NonNullable<ScriptBatch['expect']> {
  const out: NonNullable<ScriptBatch['expect']> = {};
  // One state or several, as the hash stores them (JSON strings): the script accepts any of them.
  if (expect.state !== undefined) out.state = [expect.state].flat().map((s) => encodeField('state', s));
  if (expect.last_active_at !== undefined)
    out.last_active_at = encodeField('last_active_at', expect.last_active_at);
  if (expect.live_sessions_below !== undefined && create?.user_id != null) {
    out.user = create.user_id;
    out.below = expect.live_sessions_below;
  }
  return out;
}

/** A field as its hash stores it: JSON, with the defaults the SQL store gives missing values. */
function encodeField(field: SessionField, value: unknown): string {
  if (value !== undefined && value !== null) return JSON.stringify(value);
  if (field === 'metadata' || field === 'data') return '{}';
  if (field === 'usage') return JSON.stringify({ tokens_in: 0, tokens_out: 0 });
  if (field === 'run_count') return '0';
  return 'null';
}

/** `usage`'s counts as the token stats read them (`_tin`, `_tout`: plain integers, see `countedUsage`). */
function tokenFields(usage: Session['usage'] | null | undefined): string[] {
  const { tokens_in, tokens_out } = countedUsage(usage);
  return ['_tin', String(tokens_in), '_tout', String(tokens_out)];
}

/** Epoch ms of a finished run's `finished_at` for the `runfinished` index; '' for none (left out). */
function finishedMsOf(run: Run): string {
  const ms = isFinished(run.status) && run.finished_at !== null ? Date.parse(run.finished_at) : NaN;
  return Number.isFinite(ms) ? String(ms) : '';
}

/** Epoch ms for the duration stats; `x` (which Lua's tonumber refuses) when the text is no date. */
function msOf(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? String(ms) : 'x';
}

function sessionFromHash(hash: Record<string, string>): Session | null {
  if (hash.id === undefined) return null;
  const session: Record<string, unknown> = { last_seq: Number(hash.last_seq ?? 0) };
  for (const field of SESSION_FIELDS) session[field] = parseJson(hash[field] ?? 'null');
  assertSessionShape(session);
  return session as unknown as Session;
}

/** What every stored session has; a hash without it was not written by this store (or was damaged). */
function assertSessionShape(s: Record<string, unknown>): void {
  const strings = ['id', 'created_at', 'updated_at', 'last_active_at'] as const;
  const objects = ['metadata', 'data', 'usage'] as const;
  const bad =
    strings.find((f) => typeof s[f] !== 'string') ??
    objects.find((f) => typeof s[f] !== 'object' || s[f] === null) ??
    (!(SESSION_STATES as readonly unknown[]).includes(s.state) ? 'state' : undefined) ??
    (!Number.isSafeInteger(s.last_seq) ? 'last_seq' : undefined);
  if (bad !== undefined) throw new SyntaxError(`stored session has no valid ${bad}`);
}

/** STORE_CORRUPT naming the session whose stored data cannot be read (other sessions read fine). */
function corruptSession(sessionId: string, cause?: TributaryError): TributaryError {
  const why = cause ? `: ${cause.message}` : '';
  return new TributaryError('STORE_CORRUPT', `session ${sessionId}: stored data is unreadable${why}`, {
    field: 'session_id',
    details: { session_id: sessionId },
    cause,
  });
}

function pairsToObject(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i] as string] = pairs[i + 1] as string;
  return out;
}

/** An event from its stream entry (the entry id is its seq). */
export function eventFromEntry(id: string, fields: readonly string[]): SessionEvent {
  const json = fields[fields.indexOf('e') + 1];
  if (json === undefined) throw new SyntaxError(`event ${id} has no body`);
  return { ...parseEvent(json), seq: seqOf(id) };
}

function parseEvent(json: string): SessionEvent {
  const event = parseJson(json) as SessionEvent | null;
  if (typeof event !== 'object' || event === null || typeof event.type !== 'string')
    throw new SyntaxError('stored event is no event');
  return event;
}

function seqOf(streamId: string): number {
  return Number(streamId.slice(0, streamId.indexOf('-')));
}

/** Splits `<order>|[<status>|]<JSON>` (`skip` = how many `|`-separated parts precede the JSON). */
function parseOrdered<T>(value: string, skip: number): { order: number; record: T } {
  let at = -1;
  for (let i = 0; i < skip; i++) {
    at = value.indexOf('|', at + 1);
    if (at < 0) throw new SyntaxError('stored record has no order prefix');
  }
  const record = parseJson(value.slice(at + 1));
  if (typeof record !== 'object' || record === null) throw new SyntaxError('stored record is no object');
  return { order: Number(value.slice(0, value.indexOf('|'))), record: record as T };
}

/** Oldest first: by `created_at`, then by insertion (what the SQL store's rowid gives). */
function byCreatedThenOrder<T extends { created_at: string }>(values: readonly string[], skip: number): T[] {
  return values
    .map((v) => parseOrdered<T>(v, skip))
    .sort(
      (a, b) =>
        (a.record.created_at < b.record.created_at
          ? -1
          : a.record.created_at > b.record.created_at
            ? 1
            : 0) || a.order - b.order,
    )
    .map((x) => x.record);
}

/** The sweep's candidates; a damaged one is left out (reading that session says STORE_CORRUPT). */
function toCandidates(flat: readonly string[]): SweepCandidate[] {
  const out: SweepCandidate[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const [traceId, state, lastActive] = [1, 2, 3].map((j) => parseQuietly(flat[i + j] as string));
    if (typeof state !== 'string' || typeof lastActive !== 'string') continue;
    out.push({
      id: flat[i] as string,
      trace_id: typeof traceId === 'string' ? traceId : null,
      state: state as SessionState,
      last_active_at: lastActive,
    });
  }
  return out;
}

function normalizeRun(r: Run): Run {
  return {
    ...r,
    result: r.result ?? null,
    error: r.error ?? null,
    started_at: r.started_at ?? null,
    finished_at: r.finished_at ?? null,
    duration_ms: r.duration_ms ?? null,
  };
}

function normalizeMessage(m: Message): Message {
  return { ...m, run_id: m.run_id ?? null, tool: m.tool ?? null };
}

function normalizeCheckpoint(c: StoredCheckpoint): StoredCheckpoint {
  return { ...c, run_id: c.run_id ?? null, label: c.label ?? null };
}

function average(sumMs: number, count: number): number {
  return count === 0 ? 0 : sumMs / count / 1000;
}

function countBy<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

/** `parseJson`, or undefined for text that is no JSON. */
function parseQuietly(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}
