import type { Session, SessionPatch } from './session.ts';
import { nowIso } from '../uuid.ts';

/** Time and size rules for sessions, from config. */
export interface SessionPolicy {
  /** No activity for this long turns an `active` session `idle`. */
  idleAfterMs: number;
  /** An `idle` session expires this long after it turned idle. */
  ttlMs: number;
  /** Live (`active` or `idle`) sessions per user; 0 means no cap. */
  maxPerUser: number;
  capPolicy: 'reject' | 'evict';
}

/** When a session with this last activity expires if nothing else happens (null: it never will). */
export function expiresAt(
  policy: SessionPolicy,
  session: Pick<Session, 'state' | 'active_run_id'>,
  lastActiveAt: string,
): string | null {
  if (session.active_run_id !== null || session.state === 'archived' || session.state === 'expired')
    return null;
  return nowIso(Date.parse(lastActiveAt) + policy.idleAfterMs + policy.ttlMs);
}

/** The patch that records activity: `last_active_at` now, an idle session active again, expiry pushed back. */
export function touch(
  policy: SessionPolicy,
  session: Session,
  changes: SessionPatch = {},
  now = Date.now(),
): SessionPatch {
  const ts = nowIso(now);
  const next = { ...session, ...changes };
  const state = next.state === 'idle' ? 'active' : next.state;
  return {
    ...changes,
    state,
    last_active_at: ts,
    updated_at: ts,
    expires_at: expiresAt(policy, { state, active_run_id: next.active_run_id }, ts),
  };
}
