import { newId } from '../../core/uuid.ts';
import { type Session, type SessionEvent, type WriteBatch } from '../../core/index.ts';
import { envelope } from '../../core/events/envelope.ts';
import type { EventDraft } from '../../core/events/event.ts';

const nowIso = (ms: number = Date.now()): string => new Date(ms).toISOString();

/** The event every measurement sends: a run's `step`, with a short message and a small `meta`. */
export function stepDraft(runId: string | null, n: number): EventDraft {
  return { type: 'step', run_id: runId, step: 'tick', message: `step ${n} of the run`, meta: { n } };
}

/** The envelope the log would build for `stepDraft(runId, n)`, numbered `seq`. */
export function stepEvent(sessionId: string, runId: string | null, n: number, seq: number): SessionEvent {
  return { ...envelope(sessionId, null, stepDraft(runId, n), nowIso()), seq };
}

/** A session record as `Sessions.create` builds it (its id a `newId()`, no user, no trace), with every time set to `at`. */
export function sessionRecord(
  at: string,
  state: Session['state'] = 'active',
  expiresAt: string | null = null,
): Session {
  return {
    id: newId(),
    user_id: null,
    agent_id: null,
    team_id: null,
    workflow_id: null,
    name: null,
    state,
    metadata: {},
    data: {},
    created_at: at,
    updated_at: at,
    last_active_at: at,
    expires_at: expiresAt,
    trace_id: null,
    trace_parent: null,
    last_seq: 0,
    active_run_id: null,
    run_count: 0,
    usage: { tokens_in: 0, tokens_out: 0 },
  };
}

/** `count` create batches of sessions in `state`, last active at `lastActiveMs`, expiring at `expiresMs`. */
export function sessionBatches(
  count: number,
  state: Session['state'],
  lastActiveMs: number,
  expiresMs: number | null,
): WriteBatch[] {
  const at = nowIso(lastActiveMs);
  const expires = expiresMs === null ? null : nowIso(expiresMs);
  return Array.from({ length: count }, () => {
    const create = sessionRecord(at, state, expires);
    return { session_id: create.id, create };
  });
}

/** `count` create batches of idle sessions last active a day ago: every one is past its TTL. */
export function idleSessionBatches(count: number): WriteBatch[] {
  const dayAgo = Date.now() - 86_400_000;
  return sessionBatches(count, 'idle', dayAgo, dayAgo + 1000);
}

/**
 * `count` create batches of sessions the sweep must leave alone (the common case): half `active`,
 * last active a minute ago, half `idle` for five minutes, their TTL not reached (default policy:
 * idle after 30 minutes, expired 10 minutes later).
 */
export function liveSessionBatches(count: number): WriteBatch[] {
  const now = Date.now();
  const minute = 60_000;
  const active = Math.ceil(count / 2);
  return [
    ...sessionBatches(active, 'active', now - minute, now + 39 * minute),
    ...sessionBatches(count - active, 'idle', now - 35 * minute, now + 5 * minute),
  ];
}
