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
});
