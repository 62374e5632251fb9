import type { SessionEvent } from '../../../core/index.ts';

/** One Server-Sent Events block: its fields, or the comment it carries (`: heartbeat`). */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

function parseFrame(block: string): SseFrame {
  const frame: SseFrame = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      frame.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id' || field === 'event') frame[field] = value;
    if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
  }
  return frame;
}

/**
 * An SSE stream read from `fetch`: frames are split on blank lines as they arrive.
 *
 * @example
 * ```ts
 * const stream = await SseStream.open(`${url}/v1/sessions/${id}/events/stream`, { 'Last-Event-ID': '3' });
 * const events = await stream.until((events) => events.some((e) => e.type === 'run.completed'));
 * stream.close();
 * ```
 */
export class SseStream {
  readonly frames: SseFrame[] = [];
  ended = false;
  private changed!: Promise<void>;
  private wake!: () => void;

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    this.rearm();
    void this.pump();
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const controller = new AbortController();
    const response = await fetch(url, {
      headers: { Accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    });
    return new SseStream(response, controller);
  }

  /** The session events received so far, in order. */
  get events(): SessionEvent[] {
    return this.frames
      .filter((frame) => frame.data !== undefined)
      .map((frame) => JSON.parse(frame.data!) as SessionEvent);
  }

  get heartbeats(): number {
    return this.frames.filter((frame) => frame.comment === 'heartbeat').length;
  }

  /** Resolves with the events once `done(events)` holds; rejects if the stream ends first or on timeout. */
  async until(done: (events: SessionEvent[]) => boolean, timeoutMs = 10_000): Promise<SessionEvent[]> {
    await this.waitFor(() => done(this.events), timeoutMs, 'condition');
    return this.events;
  }

  /** Resolves once the server ends the stream. */
  async finished(timeoutMs = 10_000): Promise<void> {
    await this.waitFor(() => this.ended, timeoutMs, 'end of stream');
  }

  async waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.ended) throw new Error(`stream ended before ${what}; got ${JSON.stringify(this.frames)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.frames.length} frames`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.changed, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
  }

  close(): void {
    this.controller.abort();
  }

  private rearm(): void {
    this.changed = new Promise<void>((resolve) => (this.wake = resolve));
  }

  private notify(): void {
    const wake = this.wake;
    this.rearm();
    wake();
  }

  private async pump(): Promise<void> {
    const body = this.response.body;
    if (!body) return void ((this.ended = true), this.notify());
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          this.frames.push(parseFrame(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
        }
        this.notify();
      }
    } catch {
      // Aborted by close(), or the connection dropped: either way the stream is over.
    }
    this.ended = true;
    this.notify();
  }
}
