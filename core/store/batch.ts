import { TributaryError } from '../errors.ts';
import type { SessionEvent } from '../events/event.ts';
import { numbered } from '../events/envelope.ts';
import type { UnnumberedEvent, WriteBatch } from './session-store.ts';
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
}

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
