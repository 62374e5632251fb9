import { describe, expect, it } from 'vitest';
import { runQuestion, runRows, type Run } from './run-list.ts';
import { testEvent } from './test-events.ts';

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 21, 10, 0, 0) + seconds * 1000).toISOString();

function record(id: string, fields: Partial<Run> = {}): Run {
  return {
    id,
    session_id: 's1',
    flow: 'quiz',
    status: 'completed',
    multitask: 'enqueue',
    input: { question: `question of ${id}` },
    result: null,
    error: null,
    created_at: at(0),
    started_at: at(1),
    finished_at: at(3),
    duration_ms: 2000,
    usage: { tokens_in: 10, tokens_out: 5 },
    ...fields,
  };
}

describe('runRows', () => {
  it('lists every run newest first, with flow, timings, usage and the question from the records', () => {
    const rows = runRows(
      [
        record('r1'),
        record('r2', {
          status: 'failed',
          created_at: at(10),
          started_at: at(10.5),
          error: { code: 'TOOL_FAILED', message: 'rag_search failed' },
        }),
      ],
      [],
    );
    expect(rows.map((row) => [row.runId, row.state, row.cancellable])).toEqual([
      ['r2', 'failed', false],
      ['r1', 'completed', false],
    ]);
    expect(rows[1]).toEqual({
      runId: 'r1',
      flow: 'quiz',
      state: 'completed',
      createdAt: at(0),
      startedAt: at(1),
      durationMs: 2000,
      queueWaitMs: 1000,
      usage: { tokensIn: 10, tokensOut: 5 },
      question: 'question of r1',
      error: null,
      cancellable: false,
    });
    expect(rows[0]!.error).toEqual({ code: 'TOOL_FAILED', message: 'rag_search failed' });
  });

  it('keeps the records live from the events: a run ending, a new run the records do not know yet', () => {
    const records = [record('r1', { status: 'running', finished_at: null, duration_ms: null })];
    const events = [
      testEvent(1, 'run.started', { run_id: 'r1', meta: { flow: 'quiz', queue_wait_ms: 1000 } }),
      testEvent(3, 'run.cancelled', {
        run_id: 'r1',
        message: 'cancelled by user',
        meta: { duration_ms: 2000 },
      }),
      testEvent(4, 'run.queued', { run_id: 'r2', meta: { position: 1 } }),
    ];
    const rows = runRows(records, events);
    expect(rows.map((row) => [row.runId, row.state, row.cancellable])).toEqual([
      ['r2', 'queued', true],
      ['r1', 'cancelled', false],
    ]);
    expect(rows[1]!).toMatchObject({
      durationMs: 2000,
      error: { code: 'RUN_CANCELLED', message: 'cancelled by user' },
    });

    events.push(
      testEvent(5, 'run.started', { run_id: 'r2', meta: { flow: 'grade', queue_wait_ms: 1000 } }),
      testEvent(6, 'approval.requested', { run_id: 'r2', meta: { approval_id: 'a1' } }),
    );
    const r2 = runRows(records, events)[0]!;
    expect(r2).toMatchObject({
      runId: 'r2',
      flow: 'grade',
      state: 'awaiting approval',
      cancellable: true,
      startedAt: at(5),
      queueWaitMs: 1000,
      usage: null,
    });
  });

  it('marks a run a crash ended as interrupted, from its record or its event', () => {
    const interrupted = { code: 'RUN_INTERRUPTED', message: 'the process stopped', reason: 'interrupted' };
    expect(runRows([record('r1', { status: 'failed', error: interrupted })], [])[0]!.state).toBe(
      'interrupted',
    );
    const events = [
      testEvent(0, 'run.started', { run_id: 'r9' }),
      testEvent(1, 'run.failed', { run_id: 'r9', meta: { ...interrupted } }),
    ];
    expect(runRows([], events)[0]).toMatchObject({
      state: 'interrupted',
      error: { code: 'RUN_INTERRUPTED', message: 'the process stopped' },
    });
  });

  it('an ended record stays ended whatever the events it is merged with say', () => {
    const events = [testEvent(0, 'run.started', { run_id: 'r1' })];
    expect(runRows([record('r1')], events)[0]!.state).toBe('completed');
  });
});

describe('runQuestion', () => {
  it('is the input question of the record, else the user message of the run', () => {
    const events = [
      testEvent(0, 'message', { run_id: 'r1', message: 'Quiz me', meta: { role: 'user' } }),
      testEvent(1, 'message', { run_id: 'r1', message: 'Here is a quiz', meta: { role: 'assistant' } }),
    ];
    expect(runQuestion(record('r1'), events, 'r1')).toBe('question of r1');
    expect(runQuestion(undefined, events, 'r1')).toBe('Quiz me');
    expect(runQuestion(undefined, events, 'r2')).toBeNull();
  });
});
