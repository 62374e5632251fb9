import { describe, expect, it } from 'vitest';
import { testEvent } from './test-events.ts';
import { toTimeline } from './timeline.ts';

describe('toTimeline', () => {
  it('gives each step the time until the next step of its run, and the last one until the run ends', () => {
    const events = [
      testEvent(0, 'run.started'),
      testEvent(1, 'step', { step: 'start_retrieval' }),
      testEvent(1.5, 'tool.completed', { tool: 'rag_search' }),
      testEvent(3, 'step', { step: 'retrieval_done' }),
      testEvent(3.25, 'run.completed'),
    ];
    expect(toTimeline(events).map((entry) => entry.durationMs)).toEqual([null, 2000, null, 250, null]);
  });

  it('leaves a step still going without a duration, and does not end it with another run’s events', () => {
    const events = [
      testEvent(0, 'step', { step: 'a' }),
      testEvent(1, 'step', { step: 'x', run_id: 'r2' }),
      testEvent(2, 'run.completed', { run_id: 'r2' }),
    ];
    expect(toTimeline(events)[0]!.durationMs).toBeNull();
  });

  it('flags errors: level error, tool.failed, run.failed and the tool_error step', () => {
    const events = [
      testEvent(0, 'tool.progress', { level: 'warn' }),
      testEvent(1, 'tool.failed', { level: 'warn' }),
      testEvent(2, 'step', { step: 'tool_error' }),
      testEvent(3, 'message', { level: 'error' }),
      testEvent(4, 'run.failed'),
    ];
    expect(toTimeline(events).map((entry) => entry.isError)).toEqual([false, true, true, true, true]);
  });

  describe('a streamed message', () => {
    const delta = (at: number, text: string, messageId = 'm1') =>
      testEvent(at, 'message.delta', {
        tool: 'writer',
        message: text,
        meta: { message_id: messageId, text, role: 'assistant' },
      });
    const closing = (at: number, text: string, meta: Record<string, unknown> = {}) =>
      testEvent(at, 'message', {
        tool: 'writer',
        message: text,
        meta: { message_id: 'm1', role: 'assistant', ...meta },
      });
    /** What a reader of the timeline sees: each row's type and, for a streamed message, its text. */
    const rows = (events: Parameters<typeof toTimeline>[0]) =>
      toTimeline(events).map(({ event, streamed }) =>
        streamed ? [event.type, streamed.text, streamed.closed, streamed.stopped] : [event.type],
      );

    it('is one row whose text grows with each delta, where the first delta came', () => {
      const events = [
        testEvent(0, 'tool.started'),
        delta(1, 'Rx'),
        delta(2, 'JS is '),
        testEvent(2.5, 'tool.progress'),
      ];
      expect(rows(events)).toEqual([
        ['tool.started'],
        ['message.delta', 'RxJS is ', false, null],
        ['tool.progress'],
      ]);
      events.push(delta(3, 'reactive'));
      expect(rows(events)).toEqual([
        ['tool.started'],
        ['message.delta', 'RxJS is reactive', false, null],
        ['tool.progress'],
      ]);
    });

    it('becomes the closing message in the same row, with no second copy', () => {
      const events = [
        delta(1, 'RxJS '),
        delta(2, 'rocks'),
        closing(3, 'RxJS rocks'),
        testEvent(4, 'run.completed'),
      ];
      const timeline = toTimeline(events);
      expect(rows(events)).toEqual([['message', 'RxJS rocks', true, null], ['run.completed']]);
      expect(timeline[0]!.event).toBe(events[2]);
    });

    it('says why it was cut short: a cancelled run, a failed model, a run that ended without closing it', () => {
      expect(
        rows([delta(1, 'half'), closing(2, 'half', { incomplete: true, reason: 'cancelled' })])[0],
      ).toEqual(['message', 'half', true, 'run cancelled']);
      expect(rows([delta(1, 'half'), closing(2, 'half', { incomplete: true, reason: 'failed' })])[0]).toEqual(
        ['message', 'half', true, 'the model failed'],
      );
      expect(rows([delta(1, 'half'), testEvent(2, 'run.cancelled')])[0]).toEqual([
        'message.delta',
        'half',
        true,
        'run cancelled',
      ]);
    });

    it('keeps two messages apart by message id, and a closing message read without its deltas is a plain message', () => {
      const events = [delta(1, 'one', 'm1'), delta(2, 'two', 'm2'), delta(3, ' more', 'm1')];
      expect(rows(events)).toEqual([
        ['message.delta', 'one more', false, null],
        ['message.delta', 'two', false, null],
      ]);
      expect(rows([closing(1, 'RxJS rocks'), testEvent(2, 'run.completed')])).toEqual([
        ['message'],
        ['run.completed'],
      ]);
    });
  });
});
