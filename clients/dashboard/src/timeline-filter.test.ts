import { describe, expect, it } from 'vitest';
import { testEvent } from './test-events.ts';
import { toTimeline } from './timeline.ts';
import {
  matchParts,
  NO_FILTER,
  parseFilter,
  runOptions,
  typesPresent,
  viewTimeline,
  type TimelineFilter,
  type TimelineView,
} from './timeline-filter.ts';
import type { SessionEvent } from './types.ts';

/** A quiz-like session: two runs, tool calls with progress (one retried), a streamed answer, a webhook. */
function session(): SessionEvent[] {
  return [
    testEvent(0, 'session.created', { run_id: null }),
    testEvent(1, 'run.started', { meta: { flow: 'quiz' } }),
    testEvent(2, 'step', { step: 'start_retrieval', message: 'searching the course' }),
    testEvent(3, 'tool.started', { tool: 'rag_search', meta: { attempt: 1 } }),
    testEvent(4, 'tool.progress', { tool: 'rag_search', message: 'asking for 4 passages' }),
    testEvent(5, 'tool.progress', {
      tool: 'rag_search',
      level: 'warn',
      message: 'attempt 1 of rag_search failed; retrying',
      meta: { attempt: 1 },
    }),
    testEvent(6, 'tool.started', { tool: 'rag_search', meta: { attempt: 2 } }),
    testEvent(7, 'tool.progress', { tool: 'rag_search', message: 'got 4 passages' }),
    testEvent(8, 'tool.completed', { tool: 'rag_search', meta: { attempt: 2 } }),
    testEvent(9, 'step', { step: 'retrieval_done', message: 'found 4 passages' }),
    testEvent(10, 'message.delta', { tool: 'writer', message: 'Rx', meta: { message_id: 'm1', text: 'Rx' } }),
    testEvent(11, 'message.delta', { tool: 'writer', message: 'JS', meta: { message_id: 'm1', text: 'JS' } }),
    testEvent(12, 'run.completed'),
    testEvent(13, 'webhook.delivery', { run_id: null, meta: { run_id: 'r1', delivered: true } }),
    testEvent(14, 'run.started', { run_id: 'r2', meta: { flow: 'grade' } }),
    testEvent(15, 'tool.started', { run_id: 'r2', tool: 'grade_exam', meta: { attempt: 1 } }),
    testEvent(16, 'tool.progress', { run_id: 'r2', tool: 'grade_exam', message: 'grading 3 answers' }),
    testEvent(17, 'tool.failed', { run_id: 'r2', tool: 'grade_exam', level: 'error', meta: { attempt: 1 } }),
    testEvent(18, 'run.failed', { run_id: 'r2', level: 'error', message: 'grade_exam failed' }),
  ];
}

const seqOf = (events: SessionEvent[], type: string, at = 0): number =>
  events.filter((event) => event.type === type)[at]!.seq;

function view(
  events: SessionEvent[],
  filter: Partial<TimelineFilter> = {},
  unfolded: number[] = [],
): TimelineView {
  return viewTimeline(toTimeline(events), { ...NO_FILTER, ...filter }, new Set(unfolded));
}

/** What a reader sees: the visible rows' types, a streamed message as `message.delta`. */
const visibleTypes = (shown: TimelineView): string[] =>
  shown.rows.filter((row) => !row.folded).map((row) => row.entry.event.type);

describe('viewTimeline: filters', () => {
  it('shows every row, none folded but tool progress, without a filter', () => {
    const events = session();
    const shown = view(events);
    // 19 events, the two deltas one row.
    expect(shown.total).toBe(18);
    expect(shown.rows).toHaveLength(18);
    expect(shown.matches).toBeNull();
    expect(shown.rows.filter((row) => row.folded).map((row) => row.entry.event.type)).toEqual([
      'tool.progress',
      'tool.progress',
      'tool.progress',
      'tool.progress',
    ]);
  });

  it('by run: that run’s rows and its webhook delivery, not the session’s own events', () => {
    const events = session();
    expect(view(events, { runId: 'r2' }).rows.map((row) => row.entry.event.seq)).toEqual(
      events.filter((event) => event.run_id === 'r2').map((event) => event.seq),
    );
    const first = view(events, { runId: 'r1' }).rows.map((row) => row.entry.event.type);
    expect(first).toContain('webhook.delivery');
    expect(first).not.toContain('session.created');
    expect(first).not.toContain('run.failed');
  });

  it('by type: only the checked types; a streaming message counts as a message', () => {
    const events = session();
    expect(visibleTypes(view(events, { types: ['step'] }))).toEqual(['step', 'step']);
    expect(visibleTypes(view(events, { types: ['message', 'run.failed'] }))).toEqual([
      'message.delta',
      'run.failed',
    ]);
    expect(typesPresent(toTimeline(events))).toEqual([
      'session.created',
      'run.started',
      'step',
      'tool.started',
      'tool.progress',
      'tool.completed',
      'message',
      'run.completed',
      'webhook.delivery',
      'tool.failed',
      'run.failed',
    ]);
  });

  it('by level: that level and the more severe ones', () => {
    const events = session();
    expect(visibleTypes(view(events, { minLevel: 'error' }))).toEqual(['tool.failed', 'run.failed']);
    // The retry warning stands on its own: its tool call is filtered out.
    expect(visibleTypes(view(events, { minLevel: 'warn' }))).toEqual([
      'tool.progress',
      'tool.failed',
      'run.failed',
    ]);
    expect(view(events, { minLevel: 'debug' }).rows).toHaveLength(18);
  });

  it('combines run, type and level', () => {
    const events = session();
    expect(
      visibleTypes(view(events, { runId: 'r2', types: ['tool.failed', 'tool.started'], minLevel: 'error' })),
    ).toEqual(['tool.failed']);
  });

  it('applies to events that arrive after it was set', () => {
    const events = session();
    const filter = { types: ['step'] };
    expect(visibleTypes(view(events, filter))).toHaveLength(2);
    events.push(testEvent(20, 'step', { run_id: 'r3', step: 'intent_determined' }));
    expect(visibleTypes(view(events, filter))).toEqual(['step', 'step', 'step']);
  });
});

describe('viewTimeline: folding tool progress', () => {
  it('folds each progress row into its call: same run, tool and attempt, until the call ends', () => {
    const events = session();
    const rows = view(events).rows;
    const callOf = (message: string) => rows.find((row) => row.entry.event.message === message)!.callSeq;
    const [firstAttempt, secondAttempt] = [seqOf(events, 'tool.started'), seqOf(events, 'tool.started', 1)];
    expect(callOf('asking for 4 passages')).toBe(firstAttempt);
    expect(callOf('attempt 1 of rag_search failed; retrying')).toBe(firstAttempt);
    expect(callOf('got 4 passages')).toBe(secondAttempt);
    expect(callOf('grading 3 answers')).toBe(seqOf(events, 'tool.started', 2));
    const started = rows.filter((row) => row.entry.event.type === 'tool.started').map((row) => row.progress);
    expect(started).toEqual([
      { count: 2, unfolded: false },
      { count: 1, unfolded: false },
      { count: 1, unfolded: false },
    ]);
    expect(
      rows.filter((row) => row.entry.event.type !== 'tool.started').every((row) => row.progress === null),
    ).toBe(true);
  });

  it('ends a retried attempt at the next one: after the call completes, later progress is on its own', () => {
    const events = [
      testEvent(0, 'tool.started', { tool: 'rag_search', meta: { attempt: 1 } }),
      testEvent(1, 'tool.progress', { tool: 'rag_search', level: 'warn', meta: { attempt: 1 } }),
      testEvent(2, 'tool.started', { tool: 'rag_search', meta: { attempt: 2 } }),
      testEvent(3, 'tool.completed', { tool: 'rag_search', meta: { attempt: 2 } }),
      testEvent(4, 'tool.progress', { tool: 'rag_search' }),
    ];
    expect(view(events).rows.map((row) => row.callSeq)).toEqual([null, events[0]!.seq, null, null, null]);
  });

  it('unfolds the progress of the calls asked for, only theirs', () => {
    const events = session();
    const call = seqOf(events, 'tool.started');
    const rows = view(events, {}, [call]).rows;
    const progress = rows.filter((row) => row.entry.event.type === 'tool.progress');
    expect(progress.map((row) => row.folded)).toEqual([false, false, true, true]);
    expect(rows.find((row) => row.entry.event.seq === call)!.progress).toEqual({ count: 2, unfolded: true });
  });

  it('leaves progress of another run, of another tool, or after its call ended on its own', () => {
    const events = [
      testEvent(0, 'tool.started', { tool: 'rag_search', meta: { attempt: 1 } }),
      testEvent(1, 'tool.progress', { tool: 'generate_exam' }),
      testEvent(2, 'tool.progress', { tool: 'rag_search', run_id: 'r2' }),
      testEvent(3, 'tool.completed', { tool: 'rag_search', meta: { attempt: 1 } }),
      testEvent(4, 'tool.progress', { tool: 'rag_search' }),
      testEvent(5, 'tool.started', { tool: 'planner', meta: { attempt: 1 } }),
      testEvent(6, 'run.cancelled'),
      testEvent(7, 'tool.progress', { tool: 'planner' }),
    ];
    expect(view(events).rows.map((row) => [row.callSeq, row.folded])).toEqual([
      [null, false],
      [null, false],
      [null, false],
      [null, false],
      [null, false],
      [null, false],
      [null, false],
      [null, false],
    ]);
  });

  it('keeps a message streamed as deltas one row', () => {
    const shown = view(session(), { types: ['message'] });
    expect(shown.rows).toHaveLength(1);
    expect(shown.rows[0]!.entry.streamed?.text).toBe('RxJS');
  });
});

describe('viewTimeline: search', () => {
  it('finds rows by message, step, tool or type, in any case, and counts them', () => {
    const events = session();
    const byStep = view(events, { search: 'RETRIEVAL' });
    expect(byStep.rows.map((row) => row.entry.event.step)).toEqual(['start_retrieval', 'retrieval_done']);
    expect(byStep.matches).toBe(2);
    expect(view(events, { search: 'course' }).rows.map((row) => row.entry.event.step)).toEqual([
      'start_retrieval',
    ]);
    expect(view(events, { search: 'grade_exam' }).matches).toBe(4);
    expect(view(events, { search: 'webhook' }).rows.map((row) => row.entry.event.type)).toEqual([
      'webhook.delivery',
    ]);
    // A streamed message's text so far.
    expect(view(events, { search: 'rxjs' }).rows.map((row) => row.entry.streamed?.messageId)).toEqual(['m1']);
    expect(view(events, { search: 'nothing like this' })).toMatchObject({ rows: [], matches: 0 });
  });

  it('shows the progress rows it finds, folded or not, and no fold control meanwhile', () => {
    const shown = view(session(), { search: 'passages' });
    expect(shown.rows.map((row) => [row.entry.event.type, row.folded])).toEqual([
      ['tool.progress', false],
      ['tool.progress', false],
      ['step', false],
    ]);
    const calls = view(session(), { search: 'rag_search' }).rows.filter(
      (row) => row.entry.event.type === 'tool.started',
    );
    expect(calls.map((row) => row.progress)).toEqual([null, null]);
  });

  it('only within the other filters, and a blank search is no search', () => {
    const events = session();
    expect(view(events, { search: 'rag_search', types: ['tool.progress'] }).matches).toBe(3);
    expect(view(events, { search: '   ' })).toMatchObject({ matches: null, total: 18 });
    expect(view(events, { search: '   ' }).rows).toHaveLength(18);
  });
});

describe('matchParts', () => {
  it('cuts a text at every match, keeping the text’s own case', () => {
    expect(matchParts('Start_Retrieval and retrieval', 'retrieval')).toEqual([
      { text: 'Start_', match: false },
      { text: 'Retrieval', match: true },
      { text: ' and ', match: false },
      { text: 'retrieval', match: true },
    ]);
    expect(matchParts('abc', '')).toEqual([{ text: 'abc', match: false }]);
    expect(matchParts('abc', 'x')).toEqual([{ text: 'abc', match: false }]);
    expect(matchParts('aaa', 'aa')).toEqual([
      { text: 'aa', match: true },
      { text: 'a', match: false },
    ]);
  });
});

describe('runOptions', () => {
  it('lists the runs in the order they came, with their flow and id, and keeps the one selected', () => {
    expect(runOptions(session(), null)).toEqual([
      { runId: 'r1', label: 'quiz · r1' },
      { runId: 'r2', label: 'grade · r2' },
    ]);
    const id = '9d1e4c2a-6b7f-4e8a-a0c1-5f2d3e4b6a78';
    expect(runOptions([testEvent(0, 'run.queued', { run_id: id })], null)).toEqual([
      { runId: id, label: 'run · 3e4b6a78' },
    ]);
    expect(runOptions(session(), 'r3').map((option) => option.label)).toEqual([
      'quiz · r1',
      'grade · r2',
      'run · r3',
    ]);
    expect(runOptions(session(), 'r2')).toHaveLength(2);
  });
});

describe('parseFilter', () => {
  it('keeps what is well formed and falls back to no filter for the rest', () => {
    expect(parseFilter({ runId: 'r1', types: ['step', 3], minLevel: 'warn', search: 'rag' })).toEqual({
      runId: 'r1',
      types: ['step'],
      minLevel: 'warn',
      search: 'rag',
    });
    expect(parseFilter({ runId: '', types: 'step', minLevel: 'loud', search: 1 })).toEqual(NO_FILTER);
    expect(parseFilter('garbage')).toEqual(NO_FILTER);
    expect(parseFilter(null)).toEqual(NO_FILTER);
  });
});
