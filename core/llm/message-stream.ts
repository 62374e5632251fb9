/** A `message.delta` is written once this long after the first piece it holds came in … */
export const DELTA_WINDOW_MS = 50;
/** … or as soon as it holds this many characters, whichever comes first. */
export const DELTA_MAX_CHARS = 200;

/** Why a streamed message ended before the model finished it. */
export type IncompleteReason = 'cancelled' | 'timeout' | 'failed';

/** Where a {@link MessageStream} writes: the tool call it belongs to. */
export interface MessageSink {
  /** Writes one `message.delta` (`meta.message_id`, `meta.text`) while the call is live. */
  delta(messageId: string, text: string): void;
  /**
   * Writes the last `message.delta` (when text is pending) and the closing `message` with the whole
   * text, in one commit. Taken also while the call is being aborted (a cancel or a timeout), so the
   * text streamed so far is kept ahead of `run.cancelled` or `tool.failed`.
   */
  close(messageId: string, pending: string, content: string, meta: Record<string, unknown>): void;
}

/**
 * One model answer on its way to clients: pieces of text coalesced into `message.delta` events (at
 * most one per {@link DELTA_WINDOW_MS} or per {@link DELTA_MAX_CHARS} characters), then one `message`
 * with the whole text. The deltas' texts always join into the closing message's text, also when it is
 * closed early ({@link MessageStream.abandon}), so a client can show the deltas and swap in the message.
 *
 * @example
 * ```ts
 * const stream = new MessageStream(newId(), sink);
 * stream.push('Hel'); stream.push('lo');
 * stream.complete({ finish_reason: 'stop' }); // message.delta "Hello", then message "Hello"
 * ```
 */
export class MessageStream {
  private readonly pieces: string[] = [];
  /** Text received but not yet written as a delta. */
  private pending = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly sink: MessageSink,
  ) {}

  /** True once a piece came in: there is a message to close. */
  get started(): boolean {
    return this.pieces.length > 0;
  }

  push(text: string): void {
    if (this.closed || text === '') return;
    this.pieces.push(text);
    this.pending += text;
    if (this.pending.length >= DELTA_MAX_CHARS) this.flush();
    // Unref'd: a pending delta never keeps the process up; close writes it anyway.
    else this.timer ??= setTimeout(() => this.flush(), DELTA_WINDOW_MS).unref();
  }

  /** The model finished: the rest of the text and the closing message. */
  complete(meta: Record<string, unknown>): void {
    this.close(meta);
  }

  /**
   * The answer stopped early: the text so far becomes the closing message, marked
   * `meta.incomplete: true` with `meta.reason`. Nothing is written when no text came in.
   */
  abandon(reason: IncompleteReason): void {
    if (!this.started) {
      this.closed = true;
      this.stopTimer();
      return;
    }
    this.close({ incomplete: true, reason });
  }

  private close(meta: Record<string, unknown>): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    const pending = this.pending;
    this.pending = '';
    this.sink.close(this.id, pending, this.pieces.join(''), meta);
  }

  private flush(): void {
    this.stopTimer();
    if (this.closed || this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.sink.delta(this.id, text);
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
