import type { SessionEvent } from '../../core/events/event.ts';

/** The run as the gateway accepted it: enough to name it. */
export interface AcceptedRun {
  id: string;
  session_id: string;
  flow: string;
  status: string;
}

/**
 * How a followed run is shown: a live task list on a terminal, plain lines when piped, JSON lines
 * with `--json`. `followRun` drives it; the implementations only render.
 */
export interface RunProgress {
  /** The run was accepted (before any event). */
  accepted(run: AcceptedRun): void;
  /** An event of the run, in seq order. */
  event(event: SessionEvent): void;
  /** Something the CLI is doing, such as cancelling. */
  note(message: string): void;
  /** Worth telling, not fatal: a dropped connection, a cancel that failed. */
  warn(message: string): void;
  /**
   * The run's last event (`run.completed|failed|cancelled`) and its final assistant message, if any
   * and if it did not stream (a streamed one was already written as it came).
   */
  finish(end: SessionEvent, finalMessage: string | undefined): void;
  /** Stops any spinner without a summary (the follow failed). */
  stop(): void;
}

/** How long the run took, from its last event, e.g. `in 1.2 s`. */
export function tookText(end: SessionEvent): string {
  const ms = end.meta.duration_ms;
  if (typeof ms !== 'number') return '';
  return ms < 1000 ? ` in ${ms} ms` : ` in ${(ms / 1000).toFixed(1)} s`;
}
