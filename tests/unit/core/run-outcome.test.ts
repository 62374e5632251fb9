import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../../core/errors.ts';
import type { RunEnd } from '../../../core/operators/until-cancelled.ts';
import { runOutcome, type RunOutcome } from '../../../core/runs/run-outcome.ts';

const boom = new Error('boom');
const timeout = new TributaryError('TOOL_TIMEOUT', 'timeout after 50 ms calling lookup');

const cases: Array<[string, RunEnd, RunOutcome]> = [
  [
    'completed: no error, run.completed with its duration, spans ok',
    { status: 'completed' },
    {
      status: 'completed',
      error: null,
      event: { type: 'run.completed', message: 'run completed', meta: { duration_ms: 40 } },
      span: { status: 'ok' },
      step: { status: 'ok' },
    },
  ],
  [
    'failed with a catalog error: its code and message',
    { status: 'failed', error: timeout },
    {
      status: 'failed',
      error: { code: 'TOOL_TIMEOUT', message: 'timeout after 50 ms calling lookup' },
      event: {
        type: 'run.failed',
        level: 'error',
        message: 'run failed: timeout after 50 ms calling lookup',
        meta: { code: 'TOOL_TIMEOUT', message: 'timeout after 50 ms calling lookup', duration_ms: 40 },
      },
      span: { status: 'error', message: 'timeout after 50 ms calling lookup', error: timeout },
      step: { status: 'error', error: timeout },
    },
  ],
  [
    'failed with anything else: RUN_FAILED and its message',
    { status: 'failed', error: boom },
    {
      status: 'failed',
      error: { code: 'RUN_FAILED', message: 'boom' },
      event: {
        type: 'run.failed',
        level: 'error',
        message: 'run failed: boom',
        meta: { code: 'RUN_FAILED', message: 'boom', duration_ms: 40 },
      },
      span: { status: 'error', message: 'boom', error: boom },
      step: { status: 'error', error: boom },
    },
  ],
  [
    'cancelled: RUN_CANCELLED carrying the reason, a warn event, spans cancelled',
    { status: 'cancelled', reason: 'user pressed stop' },
    {
      status: 'cancelled',
      error: { code: 'RUN_CANCELLED', message: 'user pressed stop', reason: 'user pressed stop' },
      event: {
        type: 'run.cancelled',
        level: 'warn',
        message: 'run cancelled: user pressed stop',
        meta: { reason: 'user pressed stop', duration_ms: 40, aborted_tool_calls: [] },
      },
      span: { status: 'cancelled', message: 'user pressed stop' },
      step: { status: 'cancelled' },
    },
  ],
];

const aborted = [
  { tool: 'rag_search', attempt: 2, running_ms: 12 },
  { tool: 'planner', attempt: 1, running_ms: 30 },
];

describe('runOutcome: how a run ended → its status, error, terminal event and spans', () => {
  it.each(cases)('%s', (_name, end, expected) => {
    expect(runOutcome(end, { duration_ms: 40, aborted_tool_calls: [] })).toStrictEqual(expected);
  });

  it.each<[string, RunEnd]>([
    ['completed', { status: 'completed' }],
    ['failed', { status: 'failed', error: boom }],
  ])('a run that %s lists no aborted tool calls, even if some were stopped after its end', (_name, end) => {
    expect(runOutcome(end, { duration_ms: 40, aborted_tool_calls: aborted }).event.meta).not.toHaveProperty(
      'aborted_tool_calls',
    );
  });

  it('a cancel lists the tool attempts it stopped, in order, as copies', () => {
    const outcome = runOutcome(
      { status: 'cancelled', reason: 'shutdown' },
      { duration_ms: 40, aborted_tool_calls: aborted },
    );
    const listed = outcome.event.meta?.aborted_tool_calls;
    expect(listed).toStrictEqual(aborted);
    expect(listed).not.toBe(aborted);
  });
});
