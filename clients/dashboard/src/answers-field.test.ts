import { describe, expect, it } from 'vitest';
import { answersPlaceholder, latestQuiz, readAnswers, takesAnswers } from './answers-field.ts';
import { testEvent } from './test-events.ts';
import type { Flow } from './types.ts';

const flow = (properties: Record<string, unknown>): Flow => ({
  name: 'f',
  version: '1.0.0',
  description: '',
  input: { type: 'object', properties },
});

describe('takesAnswers', () => {
  it('is true for a flow whose input schema has answers (grade), false otherwise', () => {
    expect(takesAnswers(flow({ question: {}, answers: {} }))).toBe(true);
    expect(takesAnswers(flow({ question: {} }))).toBe(false);
    expect(takesAnswers(undefined)).toBe(false);
  });
});

describe('readAnswers', () => {
  it('one answer per line by question number (or id), in any of the ways people number', () => {
    expect(
      readAnswers('1: b\n2) mergeMap\n3 it completes when\nthe notifier emits\n\nq4 = c\n#5. d'),
    ).toEqual({
      ok: true,
      answers: {
        '1': 'b',
        '2': 'mergeMap',
        '3': 'it completes when\nthe notifier emits',
        q4: 'c',
        '#5': 'd',
      },
    });
  });

  it('a JSON object as it is; nothing at all as no answers', () => {
    expect(readAnswers(' {"1": "b", "q2": "x"} ')).toEqual({ ok: true, answers: { '1': 'b', q2: 'x' } });
    expect(readAnswers('  \n ')).toEqual({ ok: true, answers: undefined });
  });

  it('says what is wrong: a first line with no question, a question twice, bad JSON', () => {
    expect(readAnswers('b\n2: c')).toEqual({
      ok: false,
      error: 'Line 1 of the answers names no question: start each answer with its number, e.g. "1: b".',
    });
    expect(readAnswers('1: b\n1: c')).toEqual({ ok: false, error: 'Question 1 is answered twice.' });
    expect(readAnswers('{"1": 2}')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/object of strings/),
    });
    expect(readAnswers('{1: b}')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not valid JSON/),
    });
  });
});

describe('the placeholder, from the session’s latest quiz', () => {
  it('has a line per question: a letter for multiple choice, words for open ones', () => {
    const exam = (topic: string, kinds: string[]) => ({
      topic,
      questions: kinds.map((kind) => ({
        prompt: kind,
        ...(kind === 'mc' ? { choices: ['x', 'y'] } : {}),
      })),
    });
    const events = [
      testEvent(0, 'message', { meta: { role: 'assistant', exam: exam('old', ['mc']) } }),
      testEvent(1, 'message', { meta: { role: 'assistant', exam: exam('new', ['open', 'mc', 'mc']) } }),
      testEvent(2, 'message', { message: 'Score: 1 / 3', meta: { role: 'assistant' } }),
    ];
    const quiz = latestQuiz(events);
    expect(quiz?.topic).toBe('new');
    expect(answersPlaceholder(quiz)).toBe('1: your explanation\n2: b\n3: b');
    expect(answersPlaceholder(null)).toBe('1: b\n2: your explanation');
  });
});
