import type { EventDraft } from './event.ts';
import type { Session, SessionPatch } from '../sessions/session.ts';
import type { WriteBatch } from '../store/session-store.ts';

/**
 * A change to one session and the events that tell of it, before the log numbers them: what
 * `EventLog.commit` takes.
 *
 * @example
 * ```ts
 * const bump: Commit = {
 *   session_id, trace_id: session.trace_id,
 *   patch: (current) => ({ run_count: current.run_count + 1 }),
 *   events: [{ type: 'run.queued', run_id }],
 * };
 * ```
 */
export interface Commit extends Omit<WriteBatch, 'events' | 'patch'> {
  /** The session's trace id, stamped on every event (one trace per session). */
  trace_id: string | null;
  /**
   * A patch, or a function of the session as it is when the write runs: read-modify-write
   * changes (counters, `data` merges) see every earlier write of the session.
   */
  patch?: SessionPatch | ((current: Session) => SessionPatch);
  /**
   * Called right before the batch is built, like a patch function, but needs no read of the
   * session: throwing fails this commit alone. For a last-moment check of a change with no patch.
   */
  check?: () => void;
  events?: readonly EventDraft[];
}
