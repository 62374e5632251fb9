import { errorMessage, isTributaryError } from '../errors.ts';
import type { EventDraft } from '../events/event.ts';
import type { RunEnd } from '../operators/until-cancelled.ts';
import type { SpanEnd } from '../telemetry.ts';
import type { AbortedToolCall } from './in-flight-tool-calls.ts';
import type { RunError, RunStatus } from './run.ts';

/** What a run's end means for its record, its terminal event and its spans. */
export interface RunOutcome {
  readonly status: Extract<RunStatus, 'completed' | 'failed' | 'cancelled'>;
  /** `null` for a completed run. */
  readonly error: RunError | null;
  /** The run's terminal event: `run.completed`, `run.failed` or `run.cancelled`. */
  readonly event: EventDraft;
  /** How the run's span ends. */
  readonly span: SpanEnd;
  /** How the span of the step still open ends. */
  readonly step: SpanEnd;
}

/** What the executor measured when the run ended. */
export interface RunEndFacts {
  readonly duration_ms: number;
  /** The tool attempts the cancel stopped (see `InFlightToolCalls`); listed only in `run.cancelled`. */
  readonly aborted_tool_calls: readonly AbortedToolCall[];
}

/**
 * Maps how a run's work ended to its terminal state. Pure, so every case is table-tested alone.
 *
 * @example
 * ```ts
 * runOutcome({ status: 'cancelled', reason: 'user pressed stop' }, { duration_ms: 40, aborted_tool_calls: [] });
 * // { status: 'cancelled', error: { code: 'RUN_CANCELLED', message: 'user pressed stop', reason: 'user pressed stop' },
 * //   event: { type: 'run.cancelled', level: 'warn', message: 'run cancelled: user pressed stop',
 * //            meta: { reason: 'user pressed stop', duration_ms: 40, aborted_tool_calls: [] } }, … }
 * ```
 */
export function runOutcome(end: RunEnd, facts: RunEndFacts): RunOutcome {
  const { duration_ms } = facts;
  switch (end.status) {
    case 'completed':
      return {
        status: 'completed',
        error: null,
        event: { type: 'run.completed', message: 'run completed', meta: { duration_ms } },
        span: { status: 'ok' },
        step: { status: 'ok' },
      };
    case 'failed': {
      const error = toRunError(end.error);
      return {
        status: 'failed',
        error,
        event: {
          type: 'run.failed',
          level: 'error',
          message: `run failed: ${error.message}`,
          meta: { ...error, duration_ms },
        },
        span: { status: 'error', message: error.message, error: end.error },
        step: { status: 'error', error: end.error },
      };
    }
    case 'cancelled':
      return {
        status: 'cancelled',
        error: { code: 'RUN_CANCELLED', message: end.reason, reason: end.reason },
        event: {
          type: 'run.cancelled',
          level: 'warn',
          message: `run cancelled: ${end.reason}`,
          // Copies, so the event never shares objects with the tracker that listed them.
          meta: {
            reason: end.reason,
            duration_ms,
            aborted_tool_calls: facts.aborted_tool_calls.map((call) => ({ ...call })),
          },
        },
        span: { status: 'cancelled', message: end.reason },
        step: { status: 'cancelled' },
      };
  }
}

/** A catalog error keeps its code; anything else is `RUN_FAILED` with its message. */
function toRunError(error: unknown): RunError {
  if (isTributaryError(error)) return { code: error.code, message: error.message };
  return { code: 'RUN_FAILED', message: errorMessage(error) };
}
