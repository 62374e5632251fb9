import { describe, expect, it } from 'vitest';
import { testEvent } from './test-events.ts';
import type { SessionEvent } from './types.ts';
import { toWaterfall, type WaterfallBar } from './waterfall.ts';

const START = Date.UTC(2026, 10, 21, 10, 0, 0);
/** `name outcome start+duration` in seconds: one line per bar, easy to read in a failure. */
const summary = (bars: readonly WaterfallBar[]): string[] =>
  bars.map(
    (bar) =>
      `${bar.kind} ${bar.name}${bar.attempt ? `#${bar.attempt}` : ''} ${bar.outcome} ${bar.startMs / 1000}+${bar.durationMs / 1000}`,
  );

const step = (at: number, name: string, fields: Partial<SessionEvent> = {}) =>
  testEvent(at, 'step', { step: name, ...fields });
const tool = (
  at: number,
  type: SessionEvent['type'],
  name: string,
  meta: Record<string, unknown> = {},
  level: SessionEvent['level'] = 'info',
) => testEvent(at, type, { tool: name, meta, level });

describe('toWaterfall', () => {
  it('draws a finished quiz run: queue wait, each step to the next, each tool call, in start order', () => {
    const events = [
      testEvent(0, 'session.created', { run_id: null }),
      testEvent(1, 'run.queued', { meta: { position: 1 } }),
      testEvent(3, 'run.started', { meta: { queue_wait_ms: 2000 } }),
      tool(3, 'tool.started', 'planner', { attempt: 1 }),
      tool(4, 'tool.completed', 'planner', { attempt: 1 }),
      step(4, 'intent_determined'),
      step(5, 'start_retrieval'),
      tool(5, 'tool.started', 'rag_search', { attempt: 1 }),
      tool(5.5, 'tool.progress', 'rag_search'),
      tool(7, 'tool.completed', 'rag_search', { attempt: 1 }),
      step(7, 'final_answer'),
      // Another run's events in the same session are not this run's bars.
      testEvent(7.5, 'step', { run_id: 'r2', step: 'elsewhere' }),
      testEvent(8, 'run.completed'),
    ];
    const chart = toWaterfall(events, 'r1', START + 60_000);
    expect(chart.live).toBe(false);
    expect(chart.startedAt).toBe(START + 1000);
    expect(chart.totalMs).toBe(7000);
    expect(summary(chart.bars)).toEqual([
      'queue queue waiting 0+2',
      'tool planner#1 ok 2+1',
      'step intent_determined ok 3+1',
      'step start_retrieval ok 4+2',
      'tool rag_search#1 ok 4+2',
      'step final_answer ok 6+1',
    ]);
  });

  it('takes the queue wait from run.started when the run was not queued behind another', () => {
    const events = [
      testEvent(10, 'run.started', { meta: { queue_wait_ms: 500 } }),
      testEvent(11, 'run.completed'),
    ];
    const chart = toWaterfall(events, 'r1', START);
    expect(chart.startedAt).toBe(START + 9500);
    expect(summary(chart.bars)).toEqual(['queue queue waiting 0+0.5']);
    expect(chart.totalMs).toBe(1500);
    // Started at once: a queue bar all the same, 0 ms long, so every started run has one.
    const atOnce = [testEvent(20, 'run.started', { run_id: 'r2', meta: { queue_wait_ms: 0 } })];
    expect(summary(toWaterfall(atOnce, 'r2', START + 20_000).bars)).toEqual(['queue queue waiting 0+0']);
  });

  it('draws a run still queued as a queue bar that grows', () => {
    const events = [testEvent(0, 'run.queued', { meta: { position: 1 } })];
    const chart = toWaterfall(events, 'r1', START + 4000);
    expect(chart).toMatchObject({ live: true, totalMs: 4000 });
    expect(summary(chart.bars)).toEqual(['queue queue waiting 0+4']);
  });

  it('grows while the run goes on: the axis and the open step and tool end at now', () => {
    const events = [
      testEvent(0, 'run.started', { meta: { queue_wait_ms: 0 } }),
      step(1, 'start_retrieval'),
      tool(1, 'tool.started', 'rag_search', { attempt: 1 }),
    ];
    const early = toWaterfall(events, 'r1', START + 2000);
    expect(early.live).toBe(true);
    expect(early.totalMs).toBe(2000);
    expect(summary(early.bars)).toEqual([
      'queue queue waiting 0+0',
      'step start_retrieval running 1+1',
      'tool rag_search#1 running 1+1',
    ]);

    const later = toWaterfall(events, 'r1', START + 5000);
    expect(later.totalMs).toBe(5000);
    expect(summary(later.bars)).toEqual([
      'queue queue waiting 0+0',
      'step start_retrieval running 1+4',
      'tool rag_search#1 running 1+4',
    ]);

    events.push(tool(6, 'tool.completed', 'rag_search', { attempt: 1 }), step(6, 'retrieval_done'));
    expect(summary(toWaterfall(events, 'r1', START + 7000).bars)).toEqual([
      'queue queue waiting 0+0',
      'step start_retrieval ok 1+5',
      'tool rag_search#1 ok 1+5',
      'step retrieval_done running 6+1',
    ]);
  });

  it('shows each attempt of a retried call as its own bar, with the error of each', () => {
    const events = [
      testEvent(0, 'run.started'),
      step(0, 'start_retrieval'),
      tool(0, 'tool.started', 'rag_search', { attempt: 1 }),
      tool(1, 'tool.progress', 'rag_search', { attempt: 1, code: 'TOOL_FAILED', retry_in_ms: 200 }, 'warn'),
      tool(1.5, 'tool.started', 'rag_search', { attempt: 2 }),
      tool(2, 'tool.failed', 'rag_search', { attempt: 2, code: 'TOOL_TIMEOUT' }, 'error'),
      step(2, 'tool_error', { level: 'error' }),
      testEvent(3, 'run.failed', { meta: { code: 'TOOL_TIMEOUT' } }),
    ];
    const { bars } = toWaterfall(events, 'r1', START);
    expect(summary(bars)).toEqual([
      'step start_retrieval ok 0+2',
      'tool rag_search#1 failed 0+1',
      'tool rag_search#2 failed 1.5+0.5',
      'step tool_error failed 2+1',
    ]);
    const [, first, second] = bars;
    expect(first).toMatchObject({ retried: true, error: { code: 'TOOL_FAILED', message: 'tool.progress' } });
    expect(second).toMatchObject({ retried: false, error: { code: 'TOOL_TIMEOUT', message: 'tool.failed' } });
  });

  it('an info progress does not end an attempt', () => {
    const events = [
      testEvent(0, 'run.started'),
      tool(0, 'tool.started', 'rag_search', { attempt: 1 }),
      tool(1, 'tool.progress', 'rag_search', { count: 4 }),
      tool(2, 'tool.completed', 'rag_search', { attempt: 1 }),
      testEvent(2, 'run.completed'),
    ];
    expect(summary(toWaterfall(events, 'r1', START).bars)).toEqual(['tool rag_search#1 ok 0+2']);
  });

  it('ends what a cancel cut short as cancelled, with the run’s reason', () => {
    const events = [
      testEvent(0, 'run.started'),
      step(0, 'start_retrieval'),
      tool(0, 'tool.started', 'rag_search', { attempt: 1 }),
      testEvent(4, 'run.cancelled', { message: 'cancelled by user', meta: { reason: 'user' } }),
      // Nothing of the run counts after its terminal event.
      step(5, 'late'),
    ];
    const { bars, live, totalMs } = toWaterfall(events, 'r1', START + 60_000);
    expect(live).toBe(false);
    expect(totalMs).toBe(4000);
    expect(summary(bars)).toEqual(['step start_retrieval cancelled 0+4', 'tool rag_search#1 cancelled 0+4']);
    expect(bars[1]!.error).toEqual({ code: 'RUN_CANCELLED', message: 'cancelled by user' });
  });

  it('draws approval waits: waiting while open, ok when approved, failed when rejected', () => {
    const events = [
      testEvent(0, 'run.started'),
      tool(1, 'approval.requested', 'publish', { approval_id: 'a1' }),
    ];
    expect(summary(toWaterfall(events, 'r1', START + 3000).bars)).toEqual(['approval publish waiting 1+2']);
    events.push(
      tool(4, 'approval.resolved', 'publish', { approval_id: 'a1', approved: true }),
      tool(4, 'tool.started', 'publish', { attempt: 1 }),
      tool(5, 'tool.completed', 'publish', { attempt: 1 }),
      tool(6, 'approval.requested', 'publish', { approval_id: 'a2' }),
      tool(
        7,
        'approval.resolved',
        'publish',
        { approval_id: 'a2', approved: false, reason: 'rejected' },
        'warn',
      ),
      tool(7, 'tool.failed', 'publish', { attempt: 0, code: 'APPROVAL_REJECTED' }, 'error'),
      testEvent(7, 'run.failed'),
    );
    const { bars } = toWaterfall(events, 'r1', START);
    expect(summary(bars)).toEqual([
      'approval publish ok 1+3',
      'tool publish#1 ok 4+1',
      'approval publish failed 6+1',
    ]);
    expect(bars[2]!.error?.code).toBe('APPROVAL_REJECTED');
  });

  it('has no bars and a zero axis before the run has any event', () => {
    expect(toWaterfall([testEvent(0, 'session.created', { run_id: null })], 'r1', START)).toEqual({
      startedAt: START,
      totalMs: 0,
      live: true,
      bars: [],
    });
  });
});
