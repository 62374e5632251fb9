import type { SessionEvent } from './types.ts';

/** A model's answer that came as `message.delta` pieces, as far as it has come. */
export interface StreamedMessage {
  readonly messageId: string;
  /** The pieces so far, joined; once closed, the closing message's whole text. */
  readonly text: string;
  /** The closing `message` arrived (or the run ended without one). */
  readonly closed: boolean;
  /** Why the text stopped short, for people (`run cancelled`); null when complete or still coming. */
  readonly stopped: string | null;
  /** The closing `message`, once it came. */
  readonly closing: SessionEvent | null;
}

const STOPPED_BY_REASON: Readonly<Record<string, string>> = {
  cancelled: 'run cancelled',
  failed: 'the model failed',
  timeout: 'timed out',
};
const STOPPED_BY_RUN_END: Readonly<Record<string, string>> = {
  'run.cancelled': 'run cancelled',
  'run.failed': 'run failed',
  'run.completed': 'run ended first',
};

/** The `meta.message_id` that ties a `message.delta` or its closing `message` together, or null. */
export function messageIdOf(event: SessionEvent): string | null {
  if (event.type !== 'message' && event.type !== 'message.delta') return null;
  const id = event.meta.message_id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/**
 * The streamed messages of a session's events (in seq order), by `meta.message_id`: the deltas'
 * `meta.text` joined, replaced by the closing `message` when it comes. A closing message without
 * deltas before it (the history was read after the message ended) is not a streamed message.
 *
 * @example
 * ```ts
 * streamedMessages(events).get('m1'); // { messageId: 'm1', text: 'Rx is', closed: false, stopped: null, closing: null }
 * ```
 */
export function streamedMessages(events: readonly SessionEvent[]): Map<string, StreamedMessage> {
  const messages = new Map<string, StreamedMessage>();
  const runOf = new Map<string, string | null>();
  for (const event of events) {
    const id = messageIdOf(event);
    const before = id === null ? undefined : messages.get(id);
    if (event.type === 'message.delta' && id !== null) {
      // A piece after the end (cannot happen by the contract) would only garble the final text.
      if (before?.closed) continue;
      const piece = typeof event.meta.text === 'string' ? event.meta.text : event.message;
      messages.set(id, {
        messageId: id,
        text: (before?.text ?? '') + piece,
        closed: false,
        stopped: null,
        closing: null,
      });
      runOf.set(id, event.run_id);
    } else if (event.type === 'message' && before) {
      messages.set(id!, {
        ...before,
        text: event.message,
        closed: true,
        stopped: event.meta.incomplete === true ? stoppedBecause(event.meta.reason) : null,
        closing: event,
      });
    } else if (event.type in STOPPED_BY_RUN_END) {
      // The contract promises a closing message; should the run end without one, the text is still cut short.
      for (const [key, message] of messages)
        if (!message.closed && runOf.get(key) === event.run_id)
          messages.set(key, { ...message, closed: true, stopped: STOPPED_BY_RUN_END[event.type]! });
    }
  }
  return messages;
}

function stoppedBecause(reason: unknown): string {
  return (typeof reason === 'string' ? STOPPED_BY_REASON[reason] : undefined) ?? 'cut short';
}
