import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DELTA_MAX_CHARS,
  DELTA_WINDOW_MS,
  MessageStream,
  type MessageSink,
} from '../../../core/llm/message-stream.ts';

interface Written {
  deltas: string[];
  closed: Array<{ pending: string; content: string; meta: Record<string, unknown> }>;
}

function recorded(): { sink: MessageSink; written: Written } {
  const written: Written = { deltas: [], closed: [] };
  return {
    written,
    sink: {
      delta: (id, text) => {
        expect(id).toBe('m1');
        written.deltas.push(text);
      },
      close: (id, pending, content, meta) => {
        expect(id).toBe('m1');
        written.closed.push({ pending, content, meta });
      },
    },
  };
}

/** Every text the clients saw for the message: the deltas, then the closing delta. */
const joined = ({ deltas, closed }: Written): string => deltas.join('') + (closed[0]?.pending ?? '');

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MessageStream', () => {
  it(`writes at most one delta per ${DELTA_MAX_CHARS} characters from a model that is fast`, () => {
    const { sink, written } = recorded();
    const stream = new MessageStream('m1', sink);
    for (let i = 0; i < 1000; i++) stream.push('x');
    expect(written.deltas).toEqual(Array.from({ length: 5 }, () => 'x'.repeat(DELTA_MAX_CHARS)));
    stream.complete({ finish_reason: 'stop' });
    expect(written.closed).toEqual([
      { pending: '', content: 'x'.repeat(1000), meta: { finish_reason: 'stop' } },
    ]);
  });

  it(`writes at most one delta per ${DELTA_WINDOW_MS} ms from a model that is slow`, () => {
    const { sink, written } = recorded();
    const stream = new MessageStream('m1', sink);
    // A token every 10 ms: five of them share each window.
    for (let i = 0; i < 20; i++) {
      stream.push(`${i % 10}`);
      vi.advanceTimersByTime(10);
    }
    expect(written.deltas).toEqual(['01234', '56789', '01234', '56789']);
    expect(written.closed).toEqual([]);
  });

  it('closes with the text still pending as the last delta, so the deltas join into the message', () => {
    const { sink, written } = recorded();
    const stream = new MessageStream('m1', sink);
    stream.push('Hello');
    vi.advanceTimersByTime(DELTA_WINDOW_MS);
    stream.push(', world');
    stream.complete({ finish_reason: 'stop' });
    expect(written.deltas).toEqual(['Hello']);
    expect(written.closed).toEqual([
      { pending: ', world', content: 'Hello, world', meta: { finish_reason: 'stop' } },
    ]);
    expect(joined(written)).toBe('Hello, world');
    // Closed: no timer writes anything more, and nothing pushed later is taken.
    stream.push('!');
    vi.advanceTimersByTime(DELTA_WINDOW_MS * 2);
    expect(written.deltas).toEqual(['Hello']);
    expect(written.closed).toHaveLength(1);
  });

  it('abandoned, keeps the text so far as a message marked incomplete, once', () => {
    const { sink, written } = recorded();
    const stream = new MessageStream('m1', sink);
    stream.push('Half an ans');
    stream.abandon('cancelled');
    stream.abandon('failed');
    stream.complete({ finish_reason: 'stop' });
    expect(written.closed).toEqual([
      { pending: 'Half an ans', content: 'Half an ans', meta: { incomplete: true, reason: 'cancelled' } },
    ]);
    expect(joined(written)).toBe('Half an ans');
  });

  it('abandoned before any text, writes nothing', () => {
    const { sink, written } = recorded();
    const stream = new MessageStream('m1', sink);
    stream.abandon('failed');
    vi.advanceTimersByTime(DELTA_WINDOW_MS);
    expect(written).toEqual({ deltas: [], closed: [] });
    expect(stream.started).toBe(false);
  });
});
