import type { StoredCheckpoint } from '../../../core/checkpoints/checkpoint.ts';
import type { Message } from '../../../core/events/message.ts';
import type { Run } from '../../../core/runs/run.ts';
import type { UnnumberedEvent } from '../../../core/store/session-store.ts';
import type { Session } from '../../../core/sessions/session.ts';
import { newId } from '../../../core/uuid.ts';

/** A fixed origin for test clocks, so timestamps are readable and ordering is explicit. */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** The ISO timestamp `seconds` after {@link T0} (fractions allowed). */
export function isoAt(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString();
}

/** A valid `active` session with no owner, run or events; override any field. */
export function makeSession(overrides: Partial<Session> = {}): Session {
  const now = isoAt(0);
  return {
    id: newId(),
    user_id: null,
    agent_id: null,
    team_id: null,
    workflow_id: null,
    name: null,
    state: 'active',
    metadata: {},
    data: {},
    created_at: now,
    updated_at: now,
    last_active_at: now,
    expires_at: null,
    trace_id: null,
    trace_parent: null,
    last_seq: 0,
    active_run_id: null,
    run_count: 0,
    usage: { tokens_in: 0, tokens_out: 0 },
    ...overrides,
  };
}

/** A `queued` run of the `quiz` flow in `sessionId`. */
export function makeRun(sessionId: string, overrides: Partial<Run> = {}): Run {
  return {
    id: newId(),
    session_id: sessionId,
    flow: 'quiz',
    status: 'queued',
    multitask: 'enqueue',
    input: { question: 'quiz me on RxJS' },
    result: null,
    error: null,
    created_at: isoAt(0),
    started_at: null,
    finished_at: null,
    duration_ms: null,
    usage: { tokens_in: 0, tokens_out: 0 },
    ...overrides,
  };
}

/** An event ready for a store to number: a `step` in `sessionId` unless overridden. */
export function makeEvent(sessionId: string, overrides: Partial<UnnumberedEvent> = {}): UnnumberedEvent {
  return {
    id: newId(),
    ts: isoAt(0),
    session_id: sessionId,
    run_id: null,
    type: 'step',
    step: 'intent_determined',
    tool: null,
    level: 'info',
    message: 'a step',
    meta: {},
    trace_id: null,
    ...overrides,
  };
}

/** A user message in `sessionId`. */
export function makeMessage(sessionId: string, overrides: Partial<Message> = {}): Message {
  return {
    id: newId(),
    session_id: sessionId,
    run_id: null,
    role: 'user',
    content: 'hello',
    tool: null,
    ts: isoAt(0),
    ...overrides,
  };
}

/** A stored (plain JSON) checkpoint in `sessionId`. */
export function makeCheckpoint(
  sessionId: string,
  overrides: Partial<StoredCheckpoint> = {},
): StoredCheckpoint {
  return {
    id: newId(),
    session_id: sessionId,
    run_id: null,
    label: null,
    payload: JSON.stringify({ step: 'start' }),
    created_at: isoAt(0),
    ...overrides,
  };
}
