import type { SessionEvent } from '../../core/events/event.ts';

/** The `meta.message_id` tying a `message.delta` to its closing `message`, or null. */
export function messageIdOf(event: SessionEvent): string | null {
  if (event.type !== 'message' && event.type !== 'message.delta') return null;
  const id = event.meta.message_id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** Why a closing `message` was cut short, in words: `run cancelled`, `the model failed`, `timed out`. */
export function incompleteReason(event: SessionEvent): string {
  if (event.meta.reason === 'cancelled') return 'run cancelled';
  if (event.meta.reason === 'failed') return 'the model failed';
  if (event.meta.reason === 'timeout') return 'timed out';
  return 'cut short';
}

export interface StreamedTextOptions {
  /** Written before the first piece of a paragraph (plain lines lead with `message  assistant`). */
  lead?(event: SessionEvent): string;
  /** The first piece of a message came: e.g. stop a spinner, which would redraw over the text. */
  opened?(): void;
  /** The message's closing event came. */
  closed?(): void;
  /** Paints the `(incomplete: …)` note. */
  paint?(text: string): string;
}

/** Writes streamed model text as it comes; see {@link streamedText}. */
export interface StreamedText {
  /**
   * Takes a `message.delta` (writes its piece) or the closing `message` of a streamed message (ends
   * the paragraph, adding `(incomplete: …)` when it was cut short) and returns true. Returns false for
   * anything else, a message that did not stream included: the caller shows those as before.
   */
  take(event: SessionEvent): boolean;
  /** Ends an open paragraph's line so another line can be written; its next piece leads again. */
  breakLine(): void;
}

/**
 * The text of streamed messages (`message.delta`, grouped by `meta.message_id`) as one paragraph
 * per message, each piece written the moment it comes; the closing `message` only ends it, since its
 * text is what the pieces already wrote.
 *
 * @example
 * ```ts
 * const text = streamedText((s) => process.stdout.write(s));
 * text.take(delta); // writes 'RxJS is ', no newline
 * text.take(closing); // writes '\n' (and '(incomplete: run cancelled)\n' when cut short)
 * ```
 */
export function streamedText(write: (text: string) => void, options: StreamedTextOptions = {}): StreamedText {
  const started = new Set<string>();
  const ended = new Set<string>();
  let open: string | null = null;
  let atLineStart = true;
  const out = (text: string) => {
    if (text === '') return;
    write(text);
    atLineStart = text.endsWith('\n');
  };
  const breakLine = () => {
    if (open !== null && !atLineStart) out('\n');
    open = null;
  };
  return {
    take(event) {
      const id = messageIdOf(event);
      if (id === null) return false;
      if (event.type === 'message.delta') {
        // A piece after its message closed cannot come by the contract; it would only repeat text.
        if (ended.has(id)) return true;
        if (!started.has(id)) {
          started.add(id);
          options.opened?.();
        }
        if (open !== id) {
          breakLine();
          out(options.lead?.(event) ?? '');
          open = id;
        }
        out(typeof event.meta.text === 'string' ? event.meta.text : event.message);
        return true;
      }
      if (!started.has(id) || ended.has(id)) return false;
      ended.add(id);
      if (open === id) breakLine();
      if (event.meta.incomplete === true) {
        const note = `(incomplete: ${incompleteReason(event)})`;
        out(`${options.paint ? options.paint(note) : note}\n`);
      }
      options.closed?.();
      return true;
    },
    breakLine,
  };
}
