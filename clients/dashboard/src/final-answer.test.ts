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
      quiz: {
        topic: 'RxJS operators',
        questions: [
          { prompt: 'Which one?', choices: ['map', 'mergeMap'] },
          { prompt: 'Explain takeUntil.', choices: [] },
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
