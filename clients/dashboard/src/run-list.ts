import type { components } from '../../../openapi/schema.d.ts';
import { runSummaries, type RunStatus } from './run-status.ts';
import type { SessionEvent } from './types.ts';

export type Run = components['schemas']['Run'];

/** A run's state as the list shows it: the spec's statuses, plus a run paused for a person and one a crash ended. */
export type RunState = RunStatus | 'interrupted';

/** One row of a session's run list. */
export interface RunRow {
  readonly runId: string;
  /** Null until the run record or its `run.started` said it. */
  readonly flow: string | null;
  readonly state: RunState;
  readonly createdAt: string;
  readonly startedAt: string | null;
  /** From start to end; null while it goes on or if it never started. */
  readonly durationMs: number | null;
  /** From creation to start; null while it waits. */
  readonly queueWaitMs: number | null;
  /** Model tokens, from the run record; null until it is fetched. */
  readonly usage: { readonly tokensIn: number; readonly tokensOut: number } | null;
  /** The run's `input.question`. */
  readonly question: string | null;
  /** Why it failed or was cancelled. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Queued or running (also while awaiting approval): the Cancel button is offered. */
  readonly cancellable: boolean;
}

const ENDED: ReadonlySet<RunState> = new Set(['completed', 'failed', 'cancelled', 'interrupted']);
const LIVE: ReadonlySet<RunState> = new Set(['queued', 'running', 'awaiting approval']);

/**
 * Every run of a session, newest first: the stored records (`GET /v1/sessions/{id}/runs`) brought
 * up to date by the session's events, which usually arrive before the records are fetched again. A
 * run only the events know yet (just started) is listed too.
 *
 * @example
 * ```ts
 * runRows(records, feed.events(sessionId)).map((row) => row.state);
 * // ['running', 'cancelled', 'failed', 'completed']
 * ```
 */
export function runRows(records: readonly Run[], events: readonly SessionEvent[]): RunRow[] {
  const seen = fromEvents(events);
  const rows = new Map<string, RunRow>();
  for (const record of records) rows.set(record.id, merge(fromRecord(record), seen.get(record.id)));
  for (const [runId, facts] of seen) if (!rows.has(runId)) rows.set(runId, merge(null, facts));
  return [...rows.values()].sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.runId < b.runId ? 1 : -1),
  );
}

/** The question a run was asked: its input's, else the user `message` of the run. */
export function runQuestion(
  record: Run | undefined,
  events: readonly SessionEvent[],
  runId: string,
): string | null {
  const asked = record?.input.question;
  if (typeof asked === 'string') return asked;
  const message = events.find(
    (event) => event.run_id === runId && event.type === 'message' && event.meta.role === 'user',
  );
  return message?.message ?? null;
}

/** What a run's events say about it (the part of a row they can tell). */
interface EventFacts {
  runId: string;
  state: RunState;
  createdAt: string;
  flow: string | null;
  startedAt: string | null;
  queueWaitMs: number | null;
  durationMs: number | null;
  error: RunRow['error'];
  question: string | null;
}

function fromEvents(events: readonly SessionEvent[]): Map<string, EventFacts> {
  const statuses = new Map(runSummaries(events).map((run) => [run.runId, run.status]));
  const facts = new Map<string, EventFacts>();
  for (const event of events) {
    const runId = event.run_id;
    if (!runId) continue;
    const status = statuses.get(runId) ?? 'queued';
    let fact = facts.get(runId);
    if (!fact) {
      fact = {
        runId,
        state: status,
        createdAt: event.ts,
        flow: null,
        startedAt: null,
        queueWaitMs: null,
        durationMs: null,
        error: null,
        question: null,
      };
      facts.set(runId, fact);
    }
    const { meta } = event;
    if (event.type === 'run.started') {
      fact.startedAt = event.ts;
      if (typeof meta.flow === 'string') fact.flow = meta.flow;
      if (typeof meta.queue_wait_ms === 'number') {
        fact.queueWaitMs = meta.queue_wait_ms;
        fact.createdAt = new Date(Date.parse(event.ts) - meta.queue_wait_ms).toISOString();
      }
    }
    if (event.type === 'message' && meta.role === 'user') fact.question ??= event.message;
    if (event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled') {
      if (typeof meta.duration_ms === 'number') fact.durationMs = meta.duration_ms;
      if (event.type !== 'run.completed')
        fact.error = {
          code:
            typeof meta.code === 'string'
              ? meta.code
              : event.type === 'run.cancelled'
                ? 'RUN_CANCELLED'
                : 'RUN_FAILED',
          message: typeof meta.message === 'string' ? meta.message : event.message,
        };
      // A crash's `run.failed` (RUN_INTERRUPTED) is told apart from a flow that failed.
      if (event.type === 'run.failed' && isInterrupted(meta.code, meta.reason)) fact.state = 'interrupted';
    }
  }
  return facts;
}

function fromRecord(run: Run): RunRow {
  const started = run.started_at ? Date.parse(run.started_at) : null;
  const interrupted = run.status === 'failed' && isInterrupted(run.error?.code, run.error?.reason);
  return {
    runId: run.id,
    flow: run.flow,
    state: interrupted ? 'interrupted' : run.status,
    createdAt: run.created_at,
    startedAt: run.started_at,
    durationMs: run.duration_ms,
    queueWaitMs: started === null ? null : Math.max(0, started - Date.parse(run.created_at)),
    usage: { tokensIn: run.usage.tokens_in, tokensOut: run.usage.tokens_out },
    question: typeof run.input.question === 'string' ? run.input.question : null,
    error: run.error ? { code: run.error.code, message: run.error.message } : null,
    cancellable: LIVE.has(run.status),
  };
}

/** The record, moved on by what the events say since (an ended run stays ended). */
function merge(record: RunRow | null, facts: EventFacts | undefined): RunRow {
  if (!facts) return record!;
  const recordEnded = record !== null && ENDED.has(record.state);
  // Events seen: they are at least as fresh as the record, except for a record that already ended.
  const state = recordEnded ? record.state : facts.state;
  const base: RunRow = record ?? {
    runId: facts.runId,
    flow: null,
    state,
    createdAt: facts.createdAt,
    startedAt: null,
    durationMs: null,
    queueWaitMs: null,
    usage: null,
    question: null,
    error: null,
    cancellable: false,
  };
  return {
    ...base,
    state,
    flow: base.flow ?? facts.flow,
    startedAt: base.startedAt ?? facts.startedAt,
    durationMs: base.durationMs ?? facts.durationMs,
    queueWaitMs: base.queueWaitMs ?? facts.queueWaitMs,
    question: base.question ?? facts.question,
    error: base.error ?? facts.error,
    cancellable: LIVE.has(state),
  };
}

function isInterrupted(code: unknown, reason: unknown): boolean {
  return code === 'RUN_INTERRUPTED' || reason === 'interrupted';
}
