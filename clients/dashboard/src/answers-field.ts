import { quizOf, type Quiz } from './final-answer.ts';
import type { Flow, SessionEvent } from './types.ts';

/** What the answers field holds, read: answers by question, nothing, or what is wrong with it. */
export type ReadAnswers =
  | { readonly ok: true; readonly answers: Readonly<Record<string, string>> | undefined }
  | { readonly ok: false; readonly error: string };

/** A line that starts an answer: a question number (`1`, `q1`, `#1`, `question 1`) then `:`, `.`, `)`, `=` or a space. */
const NUMBERED_LINE = /^\s*((?:question\s*|#|q)?\d+)\s*(?:[:.)=]\s*|\s+|$)(.*)$/i;
/** A line that starts an answer by question id: `<id>: answer` or `<id> = answer`. */
const ID_LINE = /^\s*([\w-]+)\s*[:=]\s*(.*)$/;

/**
 * Whether the flow takes `input.answers` (the `grade` flow does): then the run form shows an answers
 * field. Read from the flow's input JSON Schema, so any flow with answers gets the field.
 *
 * @example
 * ```ts
 * takesAnswers(flows.find((flow) => flow.name === 'grade')); // true
 * ```
 */
export function takesAnswers(flow: Flow | undefined): boolean {
  const properties = (flow?.input as { properties?: unknown } | undefined)?.properties;
  return typeof properties === 'object' && properties !== null && 'answers' in properties;
}

/**
 * Reads the answers field: one answer per line, starting with the question's number as the quiz
 * shows it (`1: b`, `2) mergeMap`, `3 it completes when …`) or its id (`q1: b`); a line without
 * one continues the answer above it. A JSON object (`{"1": "b"}`) is taken as it is. Empty means
 * no answers (the question box may hold them).
 *
 * @example
 * ```ts
 * readAnswers('1: b\n2: it completes\nwhen the notifier emits');
 * // { ok: true, answers: { '1': 'b', '2': 'it completes\nwhen the notifier emits' } }
 * ```
 */
export function readAnswers(text: string): ReadAnswers {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, answers: undefined };
  if (trimmed.startsWith('{')) return readJson(trimmed);
  const answers: Record<string, string> = {};
  let last: string | undefined;
  for (const [index, line] of trimmed.split('\n').entries()) {
    const match = NUMBERED_LINE.exec(line) ?? ID_LINE.exec(line);
    if (match) {
      const key = match[1]!.trim();
      if (Object.hasOwn(answers, key)) return { ok: false, error: `Question ${key} is answered twice.` };
      answers[key] = match[2]!.trim();
      last = key;
    } else if (last !== undefined) {
      if (line.trim() !== '') answers[last] = `${answers[last]}\n${line.trim()}`.trim();
    } else {
      return {
        ok: false,
        error: `Line ${index + 1} of the answers names no question: start each answer with its number, e.g. "1: b".`,
      };
    }
  }
  return { ok: true, answers };
}

function readJson(text: string): ReadAnswers {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      ok: false,
      error: 'The answers are not valid JSON: write one per line, e.g. "1: b", or a JSON object.',
    };
  }
  const valid =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((answer) => typeof answer === 'string');
  if (!valid) return { ok: false, error: 'The answers JSON must be an object of strings, e.g. {"1": "b"}.' };
  return { ok: true, answers: value as Record<string, string> };
}

/**
 * The answers field's placeholder: one line per question of the session's latest quiz, as the user
 * would fill it in (a letter for multiple choice, words for open questions).
 *
 * @example
 * ```ts
 * answersPlaceholder(quiz); // '1: b\n2: your explanation'
 * ```
 */
export function answersPlaceholder(quiz: Quiz | null): string {
  const questions = quiz?.questions ?? [{ choices: ['a', 'b'] }, { choices: [] }];
  return questions
    .map((question, index) => `${index + 1}: ${question.choices.length > 0 ? 'b' : 'your explanation'}`)
    .join('\n');
}

/**
 * The session's latest quiz (the last assistant message carrying `meta.exam`): what a grade run grades.
 *
 * @example
 * ```ts
 * latestQuiz(feed.events(sessionId))?.questions.length; // 3
 * ```
 */
export function latestQuiz(events: readonly SessionEvent[]): Quiz | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type !== 'message' || event.meta.role !== 'assistant' || event.meta.exam == null) continue;
    const quiz = quizOf(event.meta.exam);
    if (quiz) return quiz;
  }
  return null;
}
