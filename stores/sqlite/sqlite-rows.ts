/* Maps between records and table rows: JSON columns are text, every other field is one column. */

import type { StoredCheckpoint } from '../../core/checkpoints/checkpoint.ts';
import type { EventType, Level, SessionEvent } from '../../core/events/event.ts';
import type { Message } from '../../core/events/message.ts';
import type { MultitaskStrategy, Run, RunError, RunStatus } from '../../core/runs/run.ts';
import type { Session, SessionPatch, SessionState } from '../../core/sessions/session.ts';
import type { PatchKey } from '../../core/store/batch.ts';
import { countedUsage } from '../../core/store/counted-usage.ts';

/**
 * A session as its row stores it: the JSON columns as text, the state unchecked, and `usage`'s
 * counts again as integers for the stats' sums (`tokens_in`, `tokens_out`: always written with it).
 */
export type SessionRow = Omit<Session, 'state' | 'metadata' | 'data' | 'usage'> & {
  state: string;
  metadata: string;
  data: string;
  usage: string;
  tokens_in: number;
  tokens_out: number;
};

export function sessionFromRow(row: SessionRow): Session {
  return {
    id: row.id,
    user_id: row.user_id,
    agent_id: row.agent_id,
    team_id: row.team_id,
    workflow_id: row.workflow_id,
    name: row.name,
    state: row.state as SessionState,
    metadata: parseJson(row.metadata),
    data: parseJson(row.data),
    created_at: row.created_at,
    updated_at: row.updated_at,
    last_active_at: row.last_active_at,
    expires_at: row.expires_at,
    trace_id: row.trace_id,
    trace_parent: row.trace_parent,
    last_seq: row.last_seq,
    active_run_id: row.active_run_id,
    run_count: row.run_count,
    usage: parseJson(row.usage),
  };
}

export function sessionToRow(s: Session): SessionRow {
  return {
    id: s.id,
    user_id: s.user_id ?? null,
    agent_id: s.agent_id ?? null,
    team_id: s.team_id ?? null,
    workflow_id: s.workflow_id ?? null,
    name: s.name ?? null,
    state: s.state,
    metadata: JSON.stringify(s.metadata ?? {}),
    data: JSON.stringify(s.data ?? {}),
    created_at: s.created_at,
    updated_at: s.updated_at,
    last_active_at: s.last_active_at,
    expires_at: s.expires_at ?? null,
    trace_id: s.trace_id ?? null,
    trace_parent: s.trace_parent ?? null,
    last_seq: s.last_seq,
    active_run_id: s.active_run_id ?? null,
    run_count: s.run_count ?? 0,
    usage: JSON.stringify(s.usage ?? { tokens_in: 0, tokens_out: 0 }),
    ...countedUsage(s.usage),
  };
}

/** The columns a patch of `keys` SETs: each key's own, and the token counts with `usage`. */
export function patchColumns(keys: readonly PatchKey[]): string[] {
  return keys.flatMap((key) => (key === 'usage' ? [key, 'tokens_in', 'tokens_out'] : [key]));
}

/**
 * The parameters of a patch UPDATE: the columns for the given keys ({@link patchColumns}), converted
 * as `sessionToRow` converts them, the session `id`, and `added`, what last_seq grows by.
 */
export function patchToRow(
  id: string,
  patch: SessionPatch,
  keys: readonly PatchKey[],
  added: number,
): Record<string, unknown> {
  const row: Record<string, unknown> = { id, added };
  for (const key of keys) {
    const value = patch[key];
    if (key === 'metadata' || key === 'data') row[key] = JSON.stringify(value ?? {});
    else if (key === 'usage') {
      row[key] = JSON.stringify(value ?? { tokens_in: 0, tokens_out: 0 });
      Object.assign(row, countedUsage(patch.usage));
    } else if (key === 'run_count') row[key] = value ?? 0;
    else row[key] = value ?? null;
  }
  return row;
}

export interface RunRow {
  session_id: string;
  id: string;
  flow: string;
  status: string;
  multitask: string;
  input: string;
  result: string;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  usage: string;
}

export function runFromRow(row: RunRow): Run {
  return {
    id: row.id,
    session_id: row.session_id,
    flow: row.flow,
    status: row.status as RunStatus,
    multitask: row.multitask as MultitaskStrategy,
    input: parseJson(row.input),
    result: parseJson(row.result),
    error: row.error === null ? null : parseJson<RunError>(row.error),
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    duration_ms: row.duration_ms,
    usage: parseJson(row.usage),
  };
}

export function runToRow(r: Run): RunRow {
  return {
    session_id: r.session_id,
    id: r.id,
    flow: r.flow,
    status: r.status,
    multitask: r.multitask,
    input: JSON.stringify(r.input ?? {}),
    result: JSON.stringify(r.result ?? null),
    error: r.error ? JSON.stringify(r.error) : null,
    created_at: r.created_at,
    started_at: r.started_at ?? null,
    finished_at: r.finished_at ?? null,
    duration_ms: r.duration_ms ?? null,
    usage: JSON.stringify(r.usage ?? { tokens_in: 0, tokens_out: 0 }),
  };
}

export interface EventRow {
  session_id: string;
  seq: number;
  id: string;
  ts: string;
  run_id: string | null;
  type: string;
  step: string | null;
  tool: string | null;
  level: string;
  message: string;
  meta: string;
  trace_id: string | null;
}

/** The columns `eventFromValues` reads, in its order (listing selects them raw, as arrays). */
export const EVENT_VALUES = 'id, seq, ts, run_id, type, step, tool, level, message, meta, trace_id';

export type EventValues = [
  id: string,
  seq: number,
  ts: string,
  run_id: string | null,
  type: string,
  step: string | null,
  tool: string | null,
  level: string,
  message: string,
  meta: string,
  trace_id: string | null,
];

/** An event from a raw row of {@link EVENT_VALUES}; `sessionId` is the session the rows were selected for. */
export function eventFromValues(sessionId: string, values: EventValues): SessionEvent {
  const [id, seq, ts, run_id, type, step, tool, level, message, meta, trace_id] = values;
  return {
    id,
    seq,
    ts,
    session_id: sessionId,
    run_id,
    type: type as EventType,
    step,
    tool,
    level: level as Level,
    message,
    meta: parseJson(meta),
    trace_id,
  };
}

export function eventToRow(e: SessionEvent): EventRow {
  return { ...e, meta: JSON.stringify(e.meta) };
}

/** Field by field, so a record built in plain JS with a field left out still binds (as NULL). */
export function messageToRow(m: Message): Message {
  return {
    id: m.id,
    session_id: m.session_id,
    run_id: m.run_id ?? null,
    role: m.role,
    content: m.content,
    tool: m.tool ?? null,
    ts: m.ts,
  };
}

export function checkpointToRow(c: StoredCheckpoint): StoredCheckpoint {
  return {
    id: c.id,
    session_id: c.session_id,
    run_id: c.run_id ?? null,
    label: c.label ?? null,
    payload: c.payload,
    created_at: c.created_at,
  };
}

function parseJson<T = Record<string, unknown>>(text: string): T {
  return JSON.parse(text) as T;
}
