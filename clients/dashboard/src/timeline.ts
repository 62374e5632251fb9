import { messageIdOf, streamedMessages, type StreamedMessage } from './streamed-message.ts';
import type { SessionEvent } from './types.ts';

/** One row of a session's timeline: an event and what the dashboard derives from it. */
export interface TimelineEntry {
  readonly event: SessionEvent;
  /**
   * For `step` events: time from this step to the next step or the end of its run, from `ts`.
   * Null while the step is still going (or for other events).
   */
  readonly durationMs: number | null;
  /** Shown in red: anything at level `error`, failed tools and runs, the `tool_error` step. */
  readonly isError: boolean;
  /**
   * For a message that streamed in: its text so far and whether it ended. Its row stands where the
   * first `message.delta` was; `event` is that delta until the closing `message` replaces it.
   */
  readonly streamed: StreamedMessage | null;
}

const RUN_ENDS = new Set(['run.completed', 'run.failed', 'run.cancelled']);

/**
 * The timeline of a session's events (in seq order), with step durations and error flags. The
 * `message.delta` pieces of one message and its closing `message` make one entry (grouped by
 * `meta.message_id`), so its row grows in place and ends as the message.
 *
 * @example
 * ```ts
 * toTimeline(events).filter((entry) => entry.event.type === 'step').map((entry) => entry.durationMs);
 * // [12, 230, 4, 1180, 3, 1] (the last step ends with run.completed)
 * ```
 */
export function toTimeline(events: readonly SessionEvent[]): TimelineEntry[] {
  // Walk backwards so each step knows when the next step (or its run's end) happened.
  const nextBoundary = new Map<string, number>();
  const streamed = streamedMessages(events);
  // The first delta of each streamed message: where its row stands.
  const rowAt = new Map<string, number>();
  events.forEach((event, index) => {
    const id = messageIdOf(event);
    if (id !== null && streamed.has(id) && !rowAt.has(id)) rowAt.set(id, index);
  });
  const entries: TimelineEntry[] = [];
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    const id = messageIdOf(event);
    const message = id === null ? undefined : streamed.get(id);
    if (message) {
      if (rowAt.get(id!) === i) {
        const shown = message.closing ?? event;
        entries.push({ event: shown, durationMs: null, isError: isErrorEvent(shown), streamed: message });
      }
      continue;
    }
    const at = Date.parse(event.ts);
    const run = event.run_id ?? '';
    let durationMs: number | null = null;
    if (event.type === 'step') {
      const end = nextBoundary.get(run);
      durationMs = end === undefined ? null : Math.max(0, end - at);
    }
    if (event.type === 'step' || RUN_ENDS.has(event.type)) nextBoundary.set(run, at);
    entries.push({ event, durationMs, isError: isErrorEvent(event), streamed: null });
  }
  return entries.reverse();
}

export function isErrorEvent(event: SessionEvent): boolean {
  return (
    event.level === 'error' ||
    event.type === 'tool.failed' ||
    event.type === 'run.failed' ||
    event.step === 'tool_error'
  );
}
