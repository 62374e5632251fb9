import { describe, expect, it } from 'vitest';
import { finalAnswer, quizOf } from './final-answer.ts';
import { testEvent } from './test-events.ts';

describe('finalAnswer', () => {
  it('is the run’s last assistant message, with its exam laid out as a quiz', () => {
    const exam = {
      id: 'x1',
      topic: 'RxJS operators',
      questions: [
        { id: 'q1', kind: 'multiple_choice', prompt: 'Which one?', choices: ['map', 'mergeMap'] },
        { id: 'q2', kind: 'open', prompt: 'Explain takeUntil.' },
      ],
    };
    const events = [
      testEvent(0, 'message', { message: 'found 4 passages', meta: { role: 'tool' } }),
      testEvent(1, 'message', { message: 'Quiz: …', meta: { role: 'assistant', exam } }),
      testEvent(2, 'message', { run_id: 'r2', message: 'other run', meta: { role: 'assistant' } }),
    ];
    expect(finalAnswer(events, 'r1')).toEqual({
      seq: events[1]!.seq,
      content: 'Quiz: …',
      failed: false,
      streaming: false,
      stopped: null,
      quiz: {
        topic: 'RxJS operators',
        questions: [
          { id: 'q1', prompt: 'Which one?', choices: ['map', 'mergeMap'] },
          { id: 'q2', prompt: 'Explain takeUntil.', choices: [] },
        ],
      },
    });
  });

  it('marks the message that says what failed', () => {
    const events = [
      testEvent(0, 'message', {
        message: 'Sorry, I could not search the course material',
        meta: { role: 'assistant', error: { tool: 'rag_search' } },
      }),
    ];
    expect(finalAnswer(events, 'r1')).toMatchObject({ failed: true, quiz: null });
    expect(finalAnswer(events, 'r9')).toBeNull();
  });

  it('is the streamed answer so far while it comes, then the closing message, cut short when incomplete', () => {
    const piece = (text: string) =>
      testEvent(1, 'message.delta', { message: text, meta: { message_id: 'm1', text, role: 'assistant' } });
    const events = [
      testEvent(0, 'message', { message: 'an earlier answer', meta: { role: 'assistant' } }),
      piece('RxJS is '),
      piece('a library'),
    ];
    expect(finalAnswer(events, 'r1')).toMatchObject({
      seq: events[2]!.seq,
      content: 'RxJS is a library',
      streaming: true,
      stopped: null,
    });
    events.push(
      testEvent(2, 'message', {
        message: 'RxJS is a library',
        meta: { message_id: 'm1', role: 'assistant', incomplete: true, reason: 'cancelled' },
      }),
    );
    expect(finalAnswer(events, 'r1')).toMatchObject({
      seq: events[3]!.seq,
      content: 'RxJS is a library',
      streaming: false,
      stopped: 'run cancelled',
    });
  });

  it('takes nothing on trust from meta.exam', () => {
    expect(quizOf(null)).toBeNull();
    expect(quizOf({ questions: 'nope' })).toBeNull();
    expect(quizOf({ questions: [] })).toBeNull();
    expect(quizOf({ questions: [{ prompt: 7, choices: [1] }, 'junk'] })).toEqual({
      topic: '',
      questions: [{ prompt: '7', choices: ['1'] }],
    });
  });
});
