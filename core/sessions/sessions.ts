import { TributaryError } from '../errors.ts';
import type { EventDraft, SessionEvent } from '../events/event.ts';
import type { EventHub } from '../events/event-hub.ts';
import type { EventLog } from '../events/event-log.ts';
import type { Message } from '../events/message.ts';
import { closedRunError, type IsRunLive } from '../runs/run-guard.ts';
import type { Page, Session, SessionFilter, SessionPatch, SessionState } from './session.ts';
import { SESSION_STATES } from './session.ts';
import { LIVE_STATES } from '../store/batch.ts';
import { expiresAt, touch, type SessionPolicy } from './session-policy.ts';
import type { SessionStore, WriteExpectation } from '../store/session-store.ts';
import type { Telemetry } from '../telemetry.ts';
import { KeyedQueue } from '../events/keyed-queue.ts';
import { newId, nowIso } from '../uuid.ts';
import { wellFormed } from '../events/well-formed.ts';
import { envelope } from '../events/envelope.ts';
import { deepFreeze } from '../store/copy.ts';

export interface CreateSessionInput {
  user_id?: string | null;
  agent_id?: string | null;
  team_id?: string | null;
  workflow_id?: string | null;
  name?: string | null;
  metadata?: Record<string, unknown>;
  data?: Record<string, unknown>;
}

export interface UpdateSessionInput {
  name?: string | null;
  metadata?: Record<string, unknown>;
  data?: Record<string, unknown>;
  /** Only `active` and `archived` may be set; `idle` and `expired` are the sweeper's. */
  state?: SessionState;
}

export interface ListSessionsInput extends SessionFilter {
  limit?: number;
  cursor?: string | null;
}

/**
 * What writes that need a writable session expect: checked in the store with the write, so a
 * session expired (by this process or another) after it was read takes no more writes.
 */
const WRITABLE = { state: ['active', 'idle', 'archived'] } as const satisfies WriteExpectation;

/** A session to expire, as it was read: it expires only if its state and last activity are still these. */
export type ExpiringSession = Pick<Session, 'id' | 'trace_id' | 'state' | 'last_active_at'>;

/**
 * How many times a create counts the user's sessions again after another process filled the
 * cap between the count and the insert, before it answers SESSION_CAP_REACHED.
 */
const CAP_ATTEMPTS = 5;

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

export interface SessionsDeps {
  store: SessionStore;
  log: EventLog;
  hub: EventHub;
  telemetry: Telemetry;
  policy: SessionPolicy;
  /** Whether a run may still take progress events (`Runs.isLive`). */
  isRunLive: IsRunLive;
  /**
   * In a cluster: writes a `progress` event through the process executing its run (which checks
   * and writes it as this process would); undefined when none executes it.
   */
  progressElsewhere?: (
    sessionId: string,
    draft: Omit<EventDraft, 'type'> & { run_id: string },
  ) => Promise<SessionEvent | undefined>;
}

/**
 * Session lifecycle: create (with the per-user cap), read, list, update, delete, expire.
 * Runs are the scheduler's business; this class only keeps the records and their events.
 *
 * @example
 * ```ts
 * const s = await sessions.create({ user_id: 'ann', agent_id: 'quiz', metadata: { course: 'rxjs' } });
 * const page = await sessions.list({ user_id: 'ann', state: 'active', limit: 20 });
 * ```
 */
export class Sessions {
  /** Creates of one user are serialised so concurrent creates cannot pass the cap together. */
  private readonly creates = new KeyedQueue();
  /** Called before sessions are deleted, so their runs can be cancelled first. */
  beforeRemove: (ids: readonly string[]) => Promise<void> = async () => {};

  constructor(private readonly deps: SessionsDeps) {}

  create(given: CreateSessionInput = {}): Promise<Session> {
    // Made well-formed up front, so the session returned is the one stored (the log does it too).
    const input = wellFormed(given);
    const user = input.user_id ?? null;
    // Without a user there is no cap to check, so nothing to serialise, and no write to skip.
    if (user === null) return this.createNow(input, null).then(storedSession);
    return this.creates.run(user, async () => {
      // The count and the insert are one atomic step in the store (`live_sessions_below`), so two
      // processes cannot pass the cap together: the loser counts again (and evicts, or is refused).
      for (let attempt = 1; ; attempt += 1) {
        const live = await this.enforceCap(user);
        const created = await this.createNow(input, user);
        if (created) return created;
        if (attempt === CAP_ATTEMPTS) throw capReached(user, live, this.deps.policy);
      }
    });
  }

  /**
   * Writes the new session with its `session.created` event and returns it as written; null when
   * the store found the user's cap full (another process created one since it was counted).
   */
  private async createNow(input: CreateSessionInput, user: string | null): Promise<Session | null> {
    const id = newId();
    const ts = nowIso();
    const trace = this.deps.telemetry.startSession(id, {
      'session.id': id,
      'user.id': user ?? undefined,
      'agent.id': input.agent_id ?? undefined,
    });
    const session: Session = {
      id,
      user_id: user,
      agent_id: input.agent_id ?? null,
      team_id: input.team_id ?? null,
      workflow_id: input.workflow_id ?? null,
      name: input.name ?? null,
      state: 'active',
      metadata: input.metadata ?? {},
      data: input.data ?? {},
      created_at: ts,
      updated_at: ts,
      last_active_at: ts,
      expires_at: null,
      trace_id: trace.traceId,
      trace_parent: trace.parent,
      last_seq: 0,
      active_run_id: null,
      run_count: 0,
      usage: { tokens_in: 0, tokens_out: 0 },
    };
    session.expires_at = expiresAt(this.deps.policy, session, ts);
    const { maxPerUser } = this.deps.policy;
    // A new id: nothing else can be queued for it, so it need not wait in a session queue.
    const written = await this.deps.log.commitNew({
      session_id: id,
      trace_id: session.trace_id,
      create: session,
      ...(user !== null && maxPerUser > 0 ? { expect: { live_sessions_below: maxPerUser } } : {}),
      events: [
        {
          type: 'session.created',
          message: 'session created',
          meta: { user_id: user, agent_id: session.agent_id },
        },
      ],
    });
    const last = written.at(-1);
    if (!last) return null;
    // The store kept its own copy; no need to read back what was just written.
    return { ...session, last_seq: last.seq };
  }

  /** The session, or SESSION_NOT_FOUND. */
  async get(id: string): Promise<Session> {
    const session = await this.deps.store.getSession(id);
    if (!session)
      throw new TributaryError('SESSION_NOT_FOUND', `session ${id} not found`, { field: 'session_id' });
    return session;
  }

  async list(input: ListSessionsInput = {}): Promise<Page<Session>> {
    const { limit = DEFAULT_PAGE_LIMIT, cursor, ...filter } = input;
    checkLimit(limit);
    for (const state of [filter.state ?? []].flat()) checkState(state);
    return this.deps.store.listSessions({ ...filter, limit, cursor: cursor ?? null });
  }

  /** The session, or SESSION_EXPIRED when it has expired: expired sessions are read-only. */
  async getWritable(id: string): Promise<Session> {
    const session = await this.get(id);
    if (session.state === 'expired') {
      throw new TributaryError('SESSION_EXPIRED', `session ${id} has expired and is read-only`, {
        field: 'session_id',
      });
    }
    return session;
  }

  async update(id: string, input: UpdateSessionInput): Promise<Session> {
    const session = await this.getWritable(id);
    if (input.state !== undefined) {
      checkState(input.state);
      if (input.state === 'idle' || input.state === 'expired') {
        throw new TributaryError(
          'INVALID_STATE',
          `state may be set to active or archived, not ${input.state}`,
          { field: 'state' },
        );
      }
    }
    const changes: SessionPatch = {};
    if (input.name !== undefined) changes.name = input.name;
    if (input.metadata !== undefined) changes.metadata = input.metadata;
    // Merged into the data stored when the write runs (not this earlier read), so concurrent writes are kept.
    if (input.data !== undefined) changes.data = input.data;
    if (input.state !== undefined) changes.state = input.state;
    // A new id: nothing else can be queued for it, so it need not wait in a session queue.
    const written = await this.deps.log.commitNew({
      session_id: id,
      trace_id: session.trace_id,
      expect: WRITABLE,
      patch: (current) =>
        touch(
          this.deps.policy,
          current,
          changes.data === undefined ? changes : { ...changes, data: { ...current.data, ...changes.data } },
        ),
      events: [
        { type: 'session.updated', message: 'session updated', meta: { fields: Object.keys(changes) } },
      ],
    });
    if (written.length === 0) throw await this.notWritable(id);
    return this.get(id);
  }

  /**
   * Appends a `progress` event posted from outside (an agent, a worker) and records the activity.
   * Expired sessions refuse it; a `run_id` must name a live run of the session (RUN_NOT_FOUND,
   * RUN_FINISHED), so a run's terminal event stays its last.
   */
  async recordProgress(id: string, draft: Omit<EventDraft, 'type'>): Promise<SessionEvent> {
    const session = await this.getWritable(id);
    const runId = draft.run_id ?? null;
    if (runId !== null && !this.deps.isRunLive(id, runId)) {
      const forwarded = await this.deps.progressElsewhere?.(id, { ...draft, run_id: runId });
      if (forwarded) return forwarded;
      throw await closedRunError(this.deps.store, id, runId);
    }
    // No await from the check to the commit: a live run's terminal event is queued after this one.
    const [event] = await this.deps.log.commit({
      session_id: id,
      trace_id: session.trace_id,
      expect: WRITABLE,
      patch: (current) => touch(this.deps.policy, current),
      events: [{ ...draft, type: 'progress' }],
    });
    if (!event) throw await this.notWritable(id);
    return event;
  }

  /** Why a write expecting a writable session was skipped: it expired (or went) since it was read. */
  private async notWritable(id: string): Promise<TributaryError> {
    try {
      await this.getWritable(id);
    } catch (error) {
      if (error instanceof TributaryError) return error;
      throw error;
    }
    return new TributaryError('STORE_UNAVAILABLE', `the store did not write to session ${id}`);
  }

  /** Deletes a session and everything it owns (its run is cancelled first). */
  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.removeIds([id]);
  }

  /** Bulk delete by user or agent; at least one filter is required. Returns how many went. */
  async removeMany(filter: { user_id?: string; agent_id?: string }): Promise<number> {
    if (filter.user_id === undefined && filter.agent_id === undefined) {
      throw new TributaryError('INVALID_ARGUMENT', 'bulk delete needs user_id or agent_id', {
        field: 'user_id',
      });
    }
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<Session> = await this.deps.store.listSessions({
        ...filter,
        limit: MAX_PAGE_LIMIT,
        cursor,
      });
      ids.push(...page.items.map((session) => session.id));
      cursor = page.next_cursor;
    } while (cursor);
    return (await this.removeIds(ids)).length;
  }

  /**
   * Marks sessions expired with a `session.expired` event each, and frees their memory. Each one
   * expires only if its state and `last_active_at` are still those given (one atomic conditional
   * write in the store): a session touched since it was read, or expired by another process, is
   * left alone. Returns the ids this call expired.
   */
  async expire(
    sessions: readonly ExpiringSession[],
    reason: 'ttl' | 'evicted' | 'forced',
  ): Promise<string[]> {
    if (sessions.length === 0) return [];
    const ts = nowIso();
    const written = await this.deps.log.commitMany(
      sessions.map((session) => ({
        session_id: session.id,
        trace_id: session.trace_id,
        expect: { state: session.state, last_active_at: session.last_active_at },
        patch: { state: 'expired' as const, updated_at: ts, expires_at: null },
        events: [
          { type: 'session.expired' as const, message: `session expired (${reason})`, meta: { reason } },
        ],
      })),
    );
    const expired = sessions.filter((_, i) => (written[i]?.length ?? 0) > 0).map((session) => session.id);
    for (const id of expired) this.deps.hub.drop(id);
    return expired;
  }

  /**
   * Expires every due session in one store call ({@link SessionStore.expireDue}): `idle` ones last
   * active before `expireBefore`, or with `force` every `active` or `idle` one, never one with a run
   * nor one `busy()` names. Waits for the writes already queued in the log first, so they land
   * before the expiry. Returns the ids expired; each got a `session.expired` event, published, and
   * its live streams are ended.
   *
   * @example
   * ```ts
   * await sessions.expireDue({ expireBefore: nowIso(Date.now() - ttlMs), force: false, busy: () => [] });
   * ```
   */
  async expireDue({
    expireBefore,
    force,
    busy,
  }: {
    expireBefore: string;
    force: boolean;
    /** Sessions this process runs or queues a run of; asked once the log's queued writes have landed. */
    busy: () => Iterable<string>;
  }): Promise<string[]> {
    await this.deps.log.flush();
    const reason = force ? 'forced' : 'ttl';
    // The envelope every expired session's event copies, so it is built (redacted, well-formed) once.
    const event = envelope(
      '',
      null,
      { type: 'session.expired', message: `session expired (${reason})`, meta: { reason } },
      nowIso(),
    );
    const written = await this.deps.store.expireDue({ expireBefore, force, exclude: [...busy()], event });
    if (written.length === 0) return [];
    // Published like the log's own writes (frozen, every listener shares them): this process's
    // listeners and process-wide observers (metrics) get each session.expired, and the sessions'
    // live streams end, here and, through a cross-process bus, in other processes (which may have
    // listeners the hub cannot count cheaply). No hot window is made for them (`publishFinal`).
    for (const expired of written) deepFreeze(expired);
    this.deps.hub.publishFinal(written);
    return written.map((expired) => expired.session_id);
  }

  private async removeIds(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    await this.beforeRemove(ids);
    await this.deps.log.flush();
    const removed = await this.deps.store.deleteSessions(ids);
    for (const id of removed) this.deps.hub.drop(id);
    return removed;
  }

  /** Makes room under the cap (evicting the oldest idle session) or refuses; returns the live count it found. */
  private async enforceCap(userId: string): Promise<number> {
    const { policy } = this.deps;
    if (policy.maxPerUser === 0) return 0;
    const live = await this.deps.store.countSessions({ user_id: userId, state: [...LIVE_STATES] });
    if (live < policy.maxPerUser) return live;
    const oldestIdle = policy.capPolicy === 'evict' ? await this.oldestIdle(userId) : undefined;
    if (!oldestIdle) throw capReached(userId, live, policy);
    // Expired here or by another process: either way a place may be free; the create's check decides.
    await this.expire([oldestIdle], 'evicted');
    return live;
  }

  private async oldestIdle(userId: string): Promise<Session | undefined> {
    let oldest: Session | undefined;
    let cursor: string | null = null;
    do {
      const page: Page<Session> = await this.deps.store.listSessions({
        user_id: userId,
        state: 'idle',
        limit: MAX_PAGE_LIMIT,
        cursor,
      });
      for (const session of page.items) {
        if (session.active_run_id === null && (!oldest || session.last_active_at < oldest.last_active_at))
          oldest = session;
      }
      cursor = page.next_cursor;
    } while (cursor);
    return oldest;
  }

  /** The session's messages (its conversation), oldest first. */
  messages(id: string): Promise<Message[]> {
    return this.deps.store.listMessages(id);
  }
}

/** A create without a cap is never skipped: no session back means the store wrote nothing. */
function storedSession(session: Session | null): Session {
  if (!session) throw new TributaryError('STORE_UNAVAILABLE', 'the store wrote no session');
  return session;
}

function capReached(userId: string, live: number, policy: SessionPolicy): TributaryError {
  return new TributaryError(
    'SESSION_CAP_REACHED',
    `user ${userId} has ${live} live sessions (cap ${policy.maxPerUser})`,
    { field: 'user_id', details: { cap: policy.maxPerUser, policy: policy.capPolicy } },
  );
}

export function checkLimit(limit: number, field = 'limit'): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new TributaryError(
      'INVALID_ARGUMENT',
      `${field} must be an integer from 1 to ${MAX_PAGE_LIMIT}, got ${limit}`,
      { field },
    );
  }
}

function checkState(state: string): asserts state is SessionState {
  if (!(SESSION_STATES as readonly string[]).includes(state)) {
    throw new TributaryError(
      'INVALID_STATE',
      `state must be one of ${SESSION_STATES.join(', ')}, got ${JSON.stringify(state)}`,
      {
        field: 'state',
      },
    );
  }
}
