import type { StoredCheckpoint } from '../checkpoints/checkpoint.ts';
import type { SessionEvent } from '../events/event.ts';
import type { Message } from '../events/message.ts';
import type { Run, RunStatus } from '../runs/run.ts';
import type { Page, Session, SessionFilter, SessionPatch, SessionState, Usage } from '../sessions/session.ts';

/** An event before the store numbers it: everything but `seq`. */
export type UnnumberedEvent = Omit<SessionEvent, 'seq'>;

/**
 * What a batch expects to find when the store reaches it (after the batches before it in the same
 * call). The check and the write are one atomic step inside the store: a conditional update, so
 * processes sharing a store can race on a session and exactly one of them wins.
 */
export interface WriteExpectation {
  /** Without `create`: the session's state, or one of these states. */
  state?: SessionState | readonly SessionState[];
  /** Without `create`: the session's `last_active_at`, i.e. nothing touched it since it was read. */
  last_active_at?: string;
  /**
   * With `create`: the new session's user has fewer than this many live (`active` or `idle`)
   * sessions, the per-user cap counted in the same step as the insert. No cap for a session without user.
   */
  live_sessions_below?: number;
}

/**
 * One atomic change to one session: the state it changes and the events that describe it.
 * A store applies all of it or none of it, so nothing is ever written half.
 */
export interface WriteBatch {
  session_id: string;
  /** Insert this session (it must not exist yet). */
  create?: Session;
  /**
   * A precondition. When the session is missing or does not match, the store skips the whole batch:
   * no error, nothing written, no events returned for it (so such a batch must carry events). A
   * create that carries one must be the only batch of its session in the call (INVALID_ARGUMENT
   * otherwise), as nothing can follow a skipped create.
   */
  expect?: WriteExpectation;
  patch?: SessionPatch;
  /** Insert or replace these runs. */
  runs?: readonly Run[];
  messages?: readonly Message[];
  checkpoints?: readonly StoredCheckpoint[];
  /** Appended in order; the store gives each the next `seq` of the session. */
  events?: readonly UnnumberedEvent[];
}

export interface ListSessionsQuery extends SessionFilter {
  limit: number;
  cursor?: string | null;
}

/**
 * "With no run" means: no `active_run_id` and no run stored as `queued` or `running`, whichever
 * process holds it.
 */
export interface SweepQuery {
  /** Sessions `active` with no run and `last_active_at` before this turn `idle`. */
  idleBefore: string;
  /**
   * Sessions `idle` with no run and `last_active_at` before this are expired. Omitted: `toExpire`
   * lists none (the sweeper expires them with {@link SessionStore.expireDue}, without reading them).
   */
  expireBefore?: string;
  /** Expire every session that has no run and is not archived, whatever its age. */
  force: boolean;
}

export interface SweepCandidate {
  id: string;
  /** Stamped on the event the sweep writes (one trace per session). */
  trace_id: string | null;
  /** As read: the sweep's write expects them unchanged ({@link WriteExpectation}). */
  state: SessionState;
  last_active_at: string;
}

export interface SweepCandidates {
  toIdle: SweepCandidate[];
  toExpire: SweepCandidate[];
}

/**
 * Which sessions {@link SessionStore.expireDue} expires (the `toExpire` of {@link SweepQuery}), and
 * the event it writes for each.
 */
export interface ExpireDueQuery {
  /** Sessions `idle` with no run and `last_active_at` before this expire. */
  expireBefore: string;
  /** Every `active` or `idle` session with no run expires, whatever its age (`expireBefore` is ignored). */
  force: boolean;
  /** Left alone whatever their state and age: sessions this process runs or queues a run of. */
  exclude: readonly string[];
  /**
   * The `session.expired` envelope each expired session gets, as `envelope()` builds it: each stored
   * event is this one with a fresh uuid `id`, the session's `session_id` and `trace_id`, and its next
   * `seq`. Its `ts` is also each session's new `updated_at`.
   */
  event: UnnumberedEvent;
}

/** Which sessions `stats` counts. */
export interface StatsQuery {
  /** Only this user's sessions and their runs; every session when omitted. */
  user_id?: string;
}

export interface StoreStats {
  sessions_by_state: Record<SessionState, number>;
  /** Mean of `last_active_at - created_at` over the sessions counted, in seconds. */
  avg_session_duration_s: number;
  runs_by_status: Record<RunStatus, number>;
  /**
   * The sum of `usage` over the sessions counted, each count taken as `countedUsage` reads it.
   * Expired and archived sessions count (their tokens were spent); deleted ones are gone.
   */
  usage: Usage;
}

/** Which finished runs {@link SessionStore.finishedRuns} returns. */
export interface FinishedRunsQuery {
  /** Runs whose `finished_at` is at or after this time (ISO 8601 UTC, as the core writes it). */
  since: string;
  /** Only the runs of this user's sessions; every session's when omitted. */
  user_id?: string;
}

/** What the stats' recent activity needs of one finished run. */
export interface FinishedRunSample {
  /** `completed`, `failed` or `cancelled`. */
  status: RunStatus;
  /** Null for a run that never started (cancelled while queued). */
  started_at: string | null;
  finished_at: string;
  /** Null for a run stored without one. */
  duration_ms: number | null;
}

export interface EventBounds {
  /** Oldest seq the store still holds (0 when it holds none). */
  first_seq: number;
  last_seq: number;
}

/**
 * Where sessions, runs, the full event log, messages and checkpoints live.
 * Mutating a returned object changes nothing stored: records are returned as copies, and events,
 * which never change, may be returned as shared deep-frozen objects.
 * Implementations: `MemoryStore`, `SqliteStore` (the default); all pass `tests/unit/stores/store-conformance.ts`.
 *
 * @example
 * ```ts
 * const store = await SqliteStore.open({ path: './data/tributary.db' });
 * const [created] = await store.write({ session_id: s.id, create: s, events: [draft] });
 * ```
 */
export interface SessionStore {
  readonly kind: string;
  /**
   * True when other processes may use the same data at the same time (Redis): a run queued or
   * running in the store may then be another live process's, so start-up recovery leaves it alone.
   */
  readonly shared: boolean;
  /** Applies each batch atomically, in order, and returns the numbered events of each ([] for a skipped one). */
  writeMany(batches: readonly WriteBatch[]): Promise<SessionEvent[][]>;
  write(batch: WriteBatch): Promise<SessionEvent[]>;

  getSession(id: string): Promise<Session | null>;
  listSessions(query: ListSessionsQuery): Promise<Page<Session>>;
  countSessions(filter: SessionFilter): Promise<number>;
  /** Deletes the sessions and everything they own; returns the ids that existed. */
  deleteSessions(ids: readonly string[]): Promise<string[]>;
  sweepCandidates(query: SweepQuery): Promise<SweepCandidates>;
  /**
   * Expires every due session ({@link ExpireDueQuery}) in one atomic step: each becomes `expired`
   * (`updated_at` the event's `ts`, `expires_at` null) and gets its `session.expired` event as its
   * next `seq`. The condition is checked in the same step as the write, so sweepers of several
   * processes sharing a store expire each session once, and a session touched or given a run
   * before the step is left alone. Returns the events written, one per session expired, in no
   * particular order.
   *
   * @example
   * ```ts
   * const event = envelope('', null, { type: 'session.expired', message: 'session expired (ttl)', meta: { reason: 'ttl' } }, nowIso());
   * const written = await store.expireDue({ expireBefore, force: false, exclude: [], event });
   * written.map((e) => e.session_id); // the sessions expired
   * ```
   */
  expireDue(query: ExpireDueQuery): Promise<SessionEvent[]>;

  getRun(sessionId: string, runId: string): Promise<Run | null>;
  listRuns(sessionId: string): Promise<Run[]>;
  /** Runs in these states across all sessions (used to recover after a crash). */
  listRunsByStatus(statuses: readonly RunStatus[]): Promise<Run[]>;

  listEvents(sessionId: string, query: { after: number; limit: number }): Promise<SessionEvent[]>;
  eventBounds(sessionId: string): Promise<EventBounds>;

  /** The session's messages, oldest first. */
  listMessages(sessionId: string): Promise<Message[]>;

  listCheckpoints(sessionId: string): Promise<StoredCheckpoint[]>;
  getCheckpoint(sessionId: string, checkpointId: string): Promise<StoredCheckpoint | null>;
  latestCheckpoint(sessionId: string): Promise<StoredCheckpoint | null>;
  /** Deletes one checkpoint (or all of the session's when `checkpointId` is omitted); returns how many. */
  deleteCheckpoints(sessionId: string, checkpointId?: string): Promise<number>;

  /**
   * Sessions by state, their mean duration, their runs by status and their token usage summed: of
   * every session, or one user's.
   */
  stats(query?: StatsQuery): Promise<StoreStats>;
  /**
   * The runs stored finished (completed, failed, cancelled) with `finished_at` at or after
   * `query.since`, of every session or one user's, in no particular order. Read through an index on
   * the finish time, so its cost follows the runs finished since then, not every run stored.
   *
   * @example
   * ```ts
   * const since = new Date(Date.now() - 15 * 60_000).toISOString();
   * const recent = await store.finishedRuns({ since, user_id: 'ann' }); // [{ status, finished_at, duration_ms }, …]
   * ```
   */
  finishedRuns(query: FinishedRunsQuery): Promise<FinishedRunSample[]>;
  /** Resolves when the store answers; rejects with STORE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
