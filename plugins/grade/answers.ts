import { TributaryError } from '../../core/index.ts';
import type { Answer, Exam, ExamQuestion } from '../contracts.ts';

/**
 * Answers as the grade flow takes them: `[{ question_id, answer }]`, or `{ "<ref>": "<answer>" }`.
 * A ref is a question id (`q1`) or number (`1`, `#1`, `question 1`), as the quiz message numbers them.
 */
export type GivenAnswers = Answer[] | Record<string, string>;

/** One answer as given, before it is matched to a question: where it came from names it in errors. */
interface RawAnswer {
  ref: string;
  answer: string;
  field: string;
}

/** `question 2`, `q2`, `#2`, `2` → 2. */
const NUMBERED = /^(?:question\s*|q|#)?(\d+)$/i;
/** A lone choice letter: `b`, `B`, `b)`, `(b)`, `b.`, `option b`. */
const LETTER = /^(?:option\s+|answer\s+)?\(?([a-z])\)?\.?$/i;
/** A choice letter followed by text: `b) mergeMap`, `b. mergeMap`, `(b) mergeMap`, `b: mergeMap`. */
const LETTER_AND_TEXT = /^\(?([a-z])[).:]\s+\S/i;
/** One answer in text: a ref, then `:`, `.`, `)`, `=`, `-` or a space, then the answer (possibly empty). */
const ITEM = /^\s*((?:question\s*|#)?\w+?)(?:\s*[:.)=–-]\s*|\s+|$)([\s\S]*)$/i;

const invalid = (field: string, message: string) =>
  new TributaryError('INVALID_ARGUMENT', message, { field });

/**
 * The index of the question `ref` names: its id (exact, then ignoring case) or its number as the quiz
 * message shows it (1-based, optionally written `q1`, `#1` or `question 1`); `undefined` if none.
 *
 * @example
 * ```ts
 * questionIndex(exam, 'q2'); // 1
 * questionIndex(exam, '2'); // 1
 * ```
 */
export function questionIndex(exam: Exam, ref: string): number | undefined {
  const wanted = ref.trim();
  const exact = exam.questions.findIndex((question) => question.id === wanted);
  if (exact >= 0) return exact;
  const folded = exam.questions.findIndex((question) => question.id.toLowerCase() === wanted.toLowerCase());
  if (folded >= 0) return folded;
  const number = NUMBERED.exec(wanted)?.[1];
  if (number === undefined) return undefined;
  const index = Number(number) - 1;
  return index >= 0 && index < exam.questions.length ? index : undefined;
}

/**
 * What a learner's answer to a multiple choice question chose, as the choice's own text (what exam
 * backends compare against): its letter as the quiz message shows it (`b`, `b)`, `b) mergeMap`), the
 * choice's text in any case, or free text that mentions exactly one choice ("I think mergeMap").
 * Anything else, and every answer to an open question, is kept as given (trimmed).
 *
 * @example
 * ```ts
 * resolveAnswer({ kind: 'multiple_choice', choices: ['concatMap', 'mergeMap'], … }, 'b'); // 'mergeMap'
 * resolveAnswer({ kind: 'multiple_choice', choices: ['concatMap', 'mergeMap'], … }, 'it is MERGEMAP'); // 'mergeMap'
 * ```
 */
export function resolveAnswer(question: ExamQuestion, given: string): string {
  const text = given.trim();
  const choices = question.choices ?? [];
  if (question.kind !== 'multiple_choice' || choices.length === 0 || text === '') return text;
  // A choice's own text first: a choice may itself be a single letter.
  const same = choices.find((choice) => choice.trim().toLowerCase() === text.toLowerCase());
  if (same !== undefined) return same;
  const letter = (LETTER.exec(text) ?? LETTER_AND_TEXT.exec(text))?.[1];
  const byLetter = letter === undefined ? undefined : choices[letter.toLowerCase().charCodeAt(0) - 97];
  if (byLetter !== undefined) return byLetter;
  const said = ` ${words(text)} `;
  const mentioned = choices.filter((choice) => words(choice) !== '' && said.includes(` ${words(choice)} `));
  return mentioned.length === 1 ? mentioned[0]! : text;
}

/** Lower-case words joined by single spaces, punctuation dropped: for whole-word comparisons. */
function words(text: string): string {
  return (text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []).join(' ');
}

/**
 * Answers written in a message, e.g. `grade my answers: 1 b, 2 mergeMap` or one per line (`1: b`).
 * Answers are separated by new lines or `;`, or by `,` when the text has neither (so an answer can
 * hold a comma when they are on their own lines). Each starts with a question ref (see
 * {@link questionIndex}) and `:`, `.`, `)`, `=`, `-` or a space. A part without a ref continues the
 * answer before it. Text before the first answer is skipped: up to a colon ("grade my answers: 1 b"),
 * else up to a question 1 ("grade 1 b, 2 c"), so "grade my 2 answers" is not read as an answer.
 *
 * @example
 * ```ts
 * parseAnswerText('grade my answers: 1 b, 2 it completes', exam);
 * // [{ ref: '1', answer: 'b' }, { ref: '2', answer: 'it completes' }]
 * ```
 */
export function parseAnswerText(text: string, exam: Exam): Array<{ ref: string; answer: string }> {
  const byLine = /[\n;]/.test(text);
  const separator = byLine ? /\s*[\n;]\s*/ : /\s*,\s*/;
  const joiner = byLine ? '\n' : ', ';
  const out: Array<{ ref: string; answer: string }> = [];
  const itemOf = (part: string) => {
    const match = ITEM.exec(part);
    if (!match || questionIndex(exam, match[1]!) === undefined) return undefined;
    return { ref: match[1]!, answer: match[2]!.trim() };
  };
  for (const part of text.split(separator)) {
    if (part === '') continue;
    const item = out.length > 0 ? itemOf(part) : firstItem(part, itemOf, exam);
    if (item) out.push(item);
    else if (out.length > 0) {
      const last = out.at(-1)!;
      last.answer = last.answer === '' ? part : `${last.answer}${joiner}${part}`;
    }
  }
  return out;
}

/** The first answer of a text, after any lead-in: at the start, after the first colon, else (question 1 only) after a word. */
function firstItem(
  part: string,
  itemOf: (part: string) => { ref: string; answer: string } | undefined,
  exam: Exam,
): { ref: string; answer: string } | undefined {
  const atStart = itemOf(part);
  if (atStart) return atStart;
  const colon = part.indexOf(':');
  const afterColon = colon >= 0 ? itemOf(part.slice(colon + 1)) : undefined;
  if (afterColon) return afterColon;
  for (const space of part.matchAll(/\s+/g)) {
    const item = itemOf(part.slice(space.index + space[0].length));
    if (item && questionIndex(exam, item.ref) === 0) return item;
  }
  return undefined;
}

/**
 * The answers to grade, one per question at most, keyed by the exam's own question ids and with
 * multiple choice answers as the chosen choice's text (see {@link resolveAnswer}), in question order.
 * They come from `answers` when given, else from the text of `question` (see {@link parseAnswerText}).
 *
 * @throws {TributaryError} `INVALID_ARGUMENT` naming the field, for a ref that names no question of the
 * exam, a question answered twice, or no answers at all.
 *
 * @example
 * ```ts
 * collectAnswers(exam, { question: 'grade', answers: { '1': 'b', q2: 'it completes' } });
 * // [{ question_id: 'q1', answer: 'mergeMap' }, { question_id: 'q2', answer: 'it completes' }]
 * ```
 */
export function collectAnswers(exam: Exam, input: { question: string; answers?: GivenAnswers }): Answer[] {
  const given = input.answers;
  const raw: RawAnswer[] = Array.isArray(given)
    ? given.map(({ question_id, answer }, i) => ({
        ref: question_id,
        answer,
        field: `input.answers.${i}.question_id`,
      }))
    : given !== undefined
      ? Object.entries(given).map(([ref, answer]) => ({ ref, answer, field: `input.answers.${ref}` }))
      : parseAnswerText(input.question, exam).map((item) => ({ ...item, field: 'input.question' }));
  if (raw.length === 0) {
    throw invalid(
      given === undefined ? 'input.question' : 'input.answers',
      'no answers to grade: give input.answers, or write them in the question by number, e.g. "1: b; 2: your explanation"',
    );
  }
  const count = exam.questions.length;
  const byIndex = new Map<number, Answer>();
  for (const { ref, answer, field } of raw) {
    const index = questionIndex(exam, ref);
    if (index === undefined) {
      throw invalid(
        field,
        `${field}: "${ref}" is not a question of the quiz; use its number (1 to ${count}) or its id (${exam.questions[0]?.id ?? 'q1'}, …)`,
      );
    }
    if (byIndex.has(index)) throw invalid(field, `${field}: question ${index + 1} is answered twice`);
    const question = exam.questions[index]!;
    byIndex.set(index, { question_id: question.id, answer: resolveAnswer(question, answer) });
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, answer]) => answer);
}
