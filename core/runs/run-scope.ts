import type { Logger } from '../logger.ts';
import type { EventDraft } from '../events/event.ts';
import type { MessageRole } from '../events/message.ts';
import type { Usage } from '../sessions/session.ts';
import type { Span, Telemetry } from '../telemetry.ts';

/**
 * What a run hands to the code that works inside it (tool calls, approvals):
 * its ids, its cancel signal, its span and the way to add events to its stream.
 */
export interface RunScope {
  readonly session_id: string;
  readonly run_id: string;
  /**
   * Aborted when the run is cancelled, interrupted or shut down, with `RUN_CANCELLED` carrying why
   * (`cancelReason`), before the flow is unsubscribed; and once the run has ended, so nothing outlives it.
   */
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
  /**
   * Notes a tool attempt that starts running; call the returned function when it is over, however it
   * ends. A cancel lists the attempts still running in `run.cancelled`'s `meta.aborted_tool_calls`.
   */
  toolStarted(tool: string, attempt: number): () => void;
  /**
   * Stores a message a tool made (a model's streamed answer) after the events given, in one commit: its
   * `message` event and its row for `listMessages`. Unlike {@link emit}, taken also while the run is
   * being cancelled (after the abort, before its terminal event), so the text streamed so far is kept
   * ahead of `run.cancelled`; ignored once the run has ended.
   */
  storeMessage(before: EventDraft[], message: ToolMessage): void;
  /** Adds tokens a model counted to the run's `usage`; its session's `usage` takes them with the next write. */
  addUsage(usage: Usage): void;
}

/** A message a tool hands to {@link RunScope.storeMessage}; `id` is its `meta.message_id`. */
export interface ToolMessage {
  readonly id: string;
  readonly role: MessageRole;
  readonly content: string;
  readonly tool: string;
  readonly meta: Record<string, unknown>;
}
