import { describe, expect, it } from 'vitest';
import { InFlightToolCalls } from '../../../core/runs/in-flight-tool-calls.ts';

describe('InFlightToolCalls: what a cancel stopped', () => {
  it('lists the attempts running when the signal aborts, in start order, with how long each had run', () => {
    let now = 1_000;
    const controller = new AbortController();
    const calls = new InFlightToolCalls(controller.signal, () => now);
    const doneA = calls.start('rag_search', 1);
    now = 1_010;
    calls.start('planner', 2);
    const doneC = calls.start('grade_exam', 1);
    doneC();
    expect(calls.aborted).toEqual([]);
    now = 1_050;
    controller.abort('stop');
    // Ending after the abort (their teardown) does not change what the abort saw.
    doneA();
    calls.start('late', 1);
    expect(calls.aborted).toEqual([
      { tool: 'rag_search', attempt: 1, running_ms: 50 },
      { tool: 'planner', attempt: 2, running_ms: 40 },
    ]);
  });

  it('sees the attempts before their own abort listeners end them, being made first', () => {
    const controller = new AbortController();
    const calls = new InFlightToolCalls(controller.signal);
    const done = calls.start('hang', 1);
    controller.signal.addEventListener('abort', done, { once: true });
    controller.abort('stop');
    expect(calls.aborted.map(({ tool }) => tool)).toEqual(['hang']);
  });

  it('lists nothing when nothing was running', () => {
    const controller = new AbortController();
    const calls = new InFlightToolCalls(controller.signal);
    calls.start('done', 1)();
    controller.abort('stop');
    expect(calls.aborted).toEqual([]);
  });
});
