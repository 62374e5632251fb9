import { TributaryError } from '../errors.ts';
import type { SessionEvent } from '../events/event.ts';
import { numbered } from '../events/envelope.ts';
import type { UnnumberedEvent, WriteBatch, WriteExpectation } from './session-store.ts';
import { SESSION_STATES } from '../sessions/session.ts';
import type { Session, SessionPatch } from '../sessions/session.ts';

/** Every field a patch may set; the compile-time check below keeps it in step with `SessionPatch`. */
export const PATCH_KEYS = [
  'user_id',
  'agent_id',
  'team_id',
  'workflow_id',
  'name',
  'state',
  'metadata',
  'data',
  'updated_at',
  'last_active_at',
  'expires_at',
  'trace_id',
  'trace_parent',
  'active_run_id',
  'run_count',
  'usage',
] as const satisfies readonly (keyof SessionPatch)[];

export type PatchKey = (typeof PATCH_KEYS)[number];
const _everyPatchKeyListed: [Exclude<keyof SessionPatch, PatchKey>] extends [never] ? true : never = true;

/**
 * Checks what a batch says about itself before any store looks at its data:
 * every record in it must belong to `batch.session_id`.
 */
export function assertBatchShape(batch: WriteBatch): void {
  const sid = batch.session_id;
  if (typeof sid !== 'string' || sid.length === 0) {
    throw invalid('session_id', 'a write batch needs a session_id');
  }
  if (batch.create && batch.create.id !== sid) {
    throw invalid('create.id', `create.id must equal session_id ${sid}`);
  }
  assertOwned('runs', batch.runs, sid);
  assertOwned('messages', batch.messages, sid);
  assertOwned('checkpoints', batch.checkpoints, sid);
  assertOwned('events', batch.events, sid);
  if (batch.expect !== undefined) {
    assertExpectation(batch.expect, batch.create !== undefined);
    // A skipped batch returns no events: one with none could not be told from one written.
    if (!batch.events?.length) throw invalid('events', 'a batch with expect needs at least one event');
  }
}

/**
 * Checks what a whole `writeMany` call says about itself, before anything is written: each batch's
 * shape ({@link assertBatchShape}), and that a create with `expect` is its session's only batch
 * (a store could not write what follows a create it skipped).
 */
export function assertBatchesShape(batches: readonly WriteBatch[]): void {
  let expectedCreates: Set<string> | undefined;
  for (const batch of batches) {
    assertBatchShape(batch);
    if (batch.create && batch.expect) (expectedCreates ??= new Set()).add(batch.session_id);
  }
  if (!expectedCreates) return;
  const seen = new Set<string>();
  for (const { session_id } of batches) {
    if (!expectedCreates.has(session_id)) continue;
    if (seen.has(session_id))
      throw invalid('expect', `a create with expect must be the only batch of session ${session_id}`);
    seen.add(session_id);
  }
}

function assertExpectation(expect: WriteExpectation, creates: boolean): void {
  if (typeof expect !== 'object' || expect === null) throw invalid('expect', 'expect must be an object');
  const { state, last_active_at, live_sessions_below } = expect;
  if (creates && (state !== undefined || last_active_at !== undefined))
    throw invalid('expect', 'a create may only expect live_sessions_below');
  if (!creates && live_sessions_below !== undefined)
    throw invalid('expect.live_sessions_below', 'live_sessions_below goes with create only');
  const states: unknown[] | undefined = state === undefined ? undefined : [state].flat();
  if (states?.some((s) => !(SESSION_STATES as readonly unknown[]).includes(s)) || states?.length === 0)
    throw invalid('expect.state', `expect.state must be one or more of ${SESSION_STATES.join(', ')}`);
  if (last_active_at !== undefined && typeof last_active_at !== 'string')
    throw invalid('expect.last_active_at', 'expect.last_active_at must be a string');
  if (
    live_sessions_below !== undefined &&
    (!Number.isSafeInteger(live_sessions_below) || live_sessions_below < 1)
  )
    throw invalid('expect.live_sessions_below', 'expect.live_sessions_below must be a positive integer');
}

/**
 * Whether a stored session (null: missing) meets a batch's `state` / `last_active_at` expectation.
 * The per-user cap of a create (`live_sessions_below`) needs a count only the store has: each store checks it.
 */
export function meetsExpectation(
  session: Pick<Session, 'state' | 'last_active_at'> | null,
  expect: WriteExpectation,
): boolean {
  if (!session) return false;
  const { state } = expect;
  if (
    state !== undefined &&
    (typeof state === 'string' ? session.state !== state : !state.includes(session.state))
  )
    return false;
  return expect.last_active_at === undefined || session.last_active_at === expect.last_active_at;
}

/**
 * Whether a batch's `expect` holds, for a store that can read its state synchronously inside its
 * write step: `read` gives the session as stored (updates), `countLive` a user's live sessions
 * (creates with a cap). The Redis store checks the same rules in its write script.
 *
 * @example
 * ```ts
 * if (!expectationHolds(batch, (id) => rows.get(id) ?? null, (user) => liveOf(user))) return []; // skipped
 * ```
 */
export function expectationHolds(
  { session_id, create, expect }: WriteBatch,
  read: (sessionId: string) => Pick<Session, 'state' | 'last_active_at'> | null,
  countLive: (userId: string) => number,
): boolean {
  if (!expect) return true;
  if (!create) return meetsExpectation(read(session_id), expect);
  const below = expect.live_sessions_below;
  return below === undefined || create.user_id === null || countLive(create.user_id) < below;
}

/** The states a per-user cap counts (`WriteExpectation.live_sessions_below`, `MAX_SESSIONS_PER_USER`). */
export const LIVE_STATES = ['active', 'idle'] as const satisfies readonly Session['state'][];

function assertOwned(
  field: string,
  records: readonly { session_id: string }[] | undefined,
  sid: string,
): void {
  if (!records) return;
  for (let i = 0; i < records.length; i += 1) {
    if (records[i]?.session_id !== sid)
      throw invalid(`${field}[${i}].session_id`, `must equal session_id ${sid}`);
  }
}

/** Returns a new session with the defined fields of `patch` applied; `id`, `created_at`, `last_seq` never change. */
export function applyPatch(session: Session, patch: SessionPatch | undefined): Session {
  const next: Session = { ...session };
  if (patch) patchInPlace(next, patch);
  return next;
}

/** `applyPatch` on a session the caller owns, changing it rather than making a new one. */
export function patchInPlace(session: Session, patch: SessionPatch): void {
  for (const key of PATCH_KEYS) copyDefined(session, patch, key);
}

/** The keys a patch sets (defined values only), in `PATCH_KEYS` order. */
export function patchedKeys(patch: SessionPatch): PatchKey[] {
  return PATCH_KEYS.filter((key) => patch[key] !== undefined);
}

function copyDefined<K extends PatchKey>(target: Session, patch: SessionPatch, key: K): void {
  const value = patch[key];
  if (value !== undefined) target[key] = value as Session[K];
}

/** Numbers drafts after `lastSeq` (each envelope rebuilt by `numbered`, so stray keys never reach a store). */
export function numberEvents(
  events: readonly UnnumberedEvent[] | undefined,
  lastSeq: number,
): SessionEvent[] {
  return (events ?? []).map((e, i) => numbered(e, lastSeq + i + 1));
}

/** Page sizes are positive integers; anything else is a caller bug worth a clear error. */
export function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw invalid('limit', `limit must be a positive integer, got ${limit}`);
}

export function sessionAlreadyExists(id: string): TributaryError {
  return invalid('create.id', `session ${id} already exists`);
}

export function sessionNotFound(id: string): TributaryError {
  return new TributaryError('SESSION_NOT_FOUND', `session ${id} not found`, { field: 'session_id' });
}

function invalid(field: string, message: string): TributaryError {
  return new TributaryError('INVALID_ARGUMENT', message, { field });
}
