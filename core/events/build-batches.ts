import { TributaryError } from '../errors.ts';
import type { Commit } from './commit.ts';
import { envelope } from './envelope.ts';
import type { Session } from '../sessions/session.ts';
import type { SessionStore, UnnumberedEvent, WriteBatch } from '../store/session-store.ts';
import type { EventDraft } from './event.ts';
import { applyPatch, meetsExpectation } from '../store/batch.ts';
import { copyData } from '../store/copy.ts';
import { nowIso } from '../uuid.ts';
import { wellFormed } from './well-formed.ts';

/** What stopped a commit's batch from being built (its patch function threw, say). */
export class BuildFailure {
  constructor(readonly error: unknown) {}
}

/** The sessions patch functions see, by id (null: not found); {@link buildBatches} advances them. */
export type SessionsForPatches = Map<string, Session | null>;

/**
 * No session read: what commits without a patch function need. Shared, never written to:
 * {@link buildBatches} advances only the sessions it was given.
 */
export const NO_SESSIONS: SessionsForPatches = new Map();

/**
 * Builds the store batches of commits written together, in order: envelopes (see `envelope`), one
 * `ts` for all, every string well-formed. A patch function sees its session as the batches before
 * it in the same write leave it (read from the store before, then advanced batch by batch), just
 * as if each had been written before the next was built. A commit whose batch cannot be built gets
 * a {@link BuildFailure} in its place; the others are built all the same. Pure but for the clock
 * and the ids; `sessions` is advanced in place.
 *
 * @example
 * ```ts
 * const bump: Commit = { session_id: 's1', trace_id: null, patch: (s) => ({ run_count: s.run_count + 1 }) };
 * const [first, second] = buildBatches([bump, bump], new Map([['s1', session]])); // run_count 1 → 2, 3
 * ```
 */
export function buildBatches(
  changes: readonly Commit[],
  sessions: SessionsForPatches,
): (WriteBatch | BuildFailure)[] {
  // One timestamp per write: its commits are stored at the same moment.
  const ts = isoNow();
  // Loops rather than `map`s here and in `toBatch`: this runs once per commit and per event.
  const built = new Array<WriteBatch | BuildFailure>(changes.length);
  const read = sessions.size > 0;
  for (let i = 0; i < changes.length; i += 1) {
    const change = changes[i] as Commit;
    const id = change.session_id;
    const current = read ? sessions.get(id) : undefined;
    try {
      const batch = toBatch(change, ts, current);
      if (current !== undefined) sessions.set(id, advance(current, batch));
      built[i] = batch;
    } catch (error) {
      built[i] = new BuildFailure(error);
    }
  }
  return built;
}

/**
 * Reads the sessions the patch functions among `changes` will need, before any batch is built.
 * Without patch functions it reads nothing and does not wait (a Map, not a promise): most commits
 * carry none, and a turn saved per write is what lets a session's next commits join its group.
 *
 * @example
 * ```ts
 * const sessions = readForPatches(store, changes);
 * const built = buildBatches(changes, sessions instanceof Map ? sessions : await sessions);
 * ```
 */
export function readForPatches(
  store: Pick<SessionStore, 'getSession'>,
  changes: readonly Commit[],
): SessionsForPatches | Promise<SessionsForPatches> {
  let ids: Set<string> | undefined;
  for (const { session_id, patch } of changes)
    if (typeof patch === 'function') (ids ??= new Set()).add(session_id);
  if (!ids) return NO_SESSIONS;
  const wanted = ids;
  return (async () => {
    const sessions: SessionsForPatches = new Map();
    for (const id of wanted) sessions.set(id, await store.getSession(id));
    return sessions;
  })();
}

let lastMs = Number.NaN;
let lastIso = '';
/** `nowIso()`, formatted once per millisecond: writes made within the same one share the string. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = nowIso(ms);
  }
  return lastIso;
}

/** The store batch of one commit; `current` is the session as the write will find it (when known). */
function toBatch(change: Commit, ts: string, current: Session | null | undefined): WriteBatch {
  const { session_id, trace_id, patch } = change;
  change.check?.();
  // Field by field rather than a rest spread: this runs once per commit, and spreads are slow.
  const drafts = change.events ?? [];
  const events = new Array<UnnumberedEvent>(drafts.length);
  for (let i = 0; i < drafts.length; i += 1)
    events[i] = envelope(session_id, trace_id, drafts[i] as EventDraft, ts);
  const batch: WriteBatch = { session_id, events };
  // Every string stored is well-formed (see `wellFormed`): what a store reads back is what was sent live.
  if (change.expect) batch.expect = change.expect;
  if (change.create) batch.create = wellFormed(change.create);
  if (change.runs) batch.runs = wellFormed(change.runs);
  if (change.messages) batch.messages = wellFormed(change.messages);
  if (change.checkpoints) batch.checkpoints = wellFormed(change.checkpoints);
  if (typeof patch === 'function') {
    if (!current)
      throw new TributaryError('SESSION_NOT_FOUND', `session ${session_id} not found`, {
        field: 'session_id',
      });
    // A copy, as a store read would give: the function may change it without touching other batches.
    batch.patch = wellFormed(patch(copyData(current)));
  } else if (patch) {
    batch.patch = wellFormed(patch);
  }
  return batch;
}

/** The session as a store leaves it after `batch` (the same rules: `applyPatch`, `last_seq` counts events). */
function advance(current: Session | null, batch: WriteBatch): Session | null {
  // A batch whose expectation the session does not meet will be skipped: it changes nothing.
  if (batch.expect && !batch.create && !meetsExpectation(current, batch.expect)) return current;
  const base = batch.create ? { ...batch.create, last_seq: 0 } : current;
  if (!base) return null;
  const next = applyPatch(base, batch.patch);
  next.last_seq += batch.events?.length ?? 0;
  return next;
}
