import type { Logger } from '../logger.ts';
import type { EventDraft } from '../events/event.ts';
import type { Span, Telemetry } from '../telemetry.ts';

/**
 * What a run hands to the code that works inside it (tool calls, approvals):
 * its ids, its cancel signal, its span and the way to add events to its stream.
 */
export interface RunScope {
  readonly session_id: string;
  readonly run_id: string;
  /** Aborted when the run is cancelled, interrupted or shut down. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  /** The run's span; tool and step spans are its children. */
  readonly span: Span;
  /**
   * Adds an event to the run's stream, after everything emitted before it.
   * Ignored once the run has ended, so a tool that ignores its signal cannot write past the terminal event.
   */
  emit(draft: EventDraft): void;
}
