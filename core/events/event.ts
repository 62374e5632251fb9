/** Every event type a session can carry (docs/contract.md, "Session event"). */
export const EVENT_TYPES = [
  'session.created',
  'session.updated',
  'session.expired',
  'run.queued',
  'run.started',
  'step',
  'tool.started',
  'tool.progress',
  'tool.completed',
  'tool.failed',
  'message',
  'message.delta',
  'progress',
  'checkpoint.saved',
  'approval.requested',
  'approval.resolved',
  'run.completed',
  'run.failed',
  'run.cancelled',
  'webhook.delivery',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The three events that end a run; exactly one of them is a run's last event. */
export const TERMINAL_EVENT_TYPES = ['run.completed', 'run.failed', 'run.cancelled'] as const;
export type TerminalEventType = (typeof TERMINAL_EVENT_TYPES)[number];

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * The one envelope every transport carries.
 *
 * @example
 * ```ts
 * const e: SessionEvent = {
 *   id: '6f1c…', seq: 17, ts: '2026-11-21T10:00:00.000Z', session_id: 's1', run_id: 'r1',
 *   type: 'step', step: 'start_retrieval', tool: null, level: 'info', message: 'searching',
 *   meta: {}, trace_id: null,
 * };
 * ```
 */
export interface SessionEvent {
  readonly id: string;
  /** Per session, starts at 1, grows by exactly 1, never reused (also across restarts). */
  readonly seq: number;
  readonly ts: string;
  readonly session_id: string;
  readonly run_id: string | null;
  readonly type: EventType;
  readonly step: string | null;
  readonly tool: string | null;
  readonly level: Level;
  readonly message: string;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly trace_id: string | null;
}

/** What producers hand to the event log; the log fills id, seq, ts, session_id and trace_id. */
export interface EventDraft {
  type: EventType;
  run_id?: string | null;
  step?: string | null;
  tool?: string | null;
  level?: Level;
  message?: string;
  meta?: Record<string, unknown>;
}
