import { quizOf, type Quiz, type QuizQuestion } from '../quiz.ts';

export type { QuizQuestion } from '../quiz.ts';
/** The quiz the `quiz` flow returns in its run's `result.exam`. */
export type CliQuiz = Quiz;

/** The grade flow's `result`: the exam backend's grading. */
export interface GradeResult {
  readonly score: number;
  readonly max_score: number;
  readonly feedback: readonly {
    readonly question_id: string;
    readonly correct: boolean;
    readonly feedback: string;
  }[];
}

/** What one typed line is, for one question: an answer, nothing (skipped), or why it is not an answer. */
export type ReadLine =
  { readonly ok: true; readonly answer: string | undefined } | { readonly ok: false; readonly error: string };

/** The grade flow grades answers up to this long (its input schema's `maxLength`). */
export const MAX_ANSWER_LENGTH = 2000;

const LETTER = /^\(?([a-z])\)?[.)]?$/i;

/**
 * The quiz in a quiz run's `result` (`{exam, topic}`), read defensively: null when the run made no
 * quiz (nothing found on the topic) or the result is not shaped as one.
 *
 * @example
 * ```ts
 * quizOfResult(run.result)?.questions.length; // 3
 * ```
 */
export function quizOfResult(result: unknown): CliQuiz | null {
  return isRecord(result) ? quizOf(result.exam) : null;
}

/**
 * A question as the terminal shows it: its number and prompt, its choices lettered `a)`, `b)`, …
 *
 * @example
 * ```ts
 * renderQuestion({ prompt: 'Which one queues?', choices: ['mergeMap', 'concatMap'] }, 0);
 * // '1. Which one queues?\n   a) mergeMap\n   b) concatMap'
 * ```
 */
export function renderQuestion(question: QuizQuestion, index: number): string {
  return [
    `${index + 1}. ${question.prompt}`,
    ...question.choices.map((choice, i) => `   ${letter(i)}) ${choice}`),
  ].join('\n');
}

/** What the prompt after a question says: the letters to pick from, or free text; Enter skips. */
export function answerPrompt(question: QuizQuestion): string {
  const n = question.choices.length;
  return n > 0
    ? `Your answer (${letter(0)}-${letter(n - 1)}, Enter to skip): `
    : 'Your answer (Enter to skip): ';
}

/**
 * Reads a typed line as the answer to `question`: for a multiple choice question the choice's own
 * text (any case), its letter (`b`, `B`, `b)`, `(b)`) or its number (`2`), returned as the choice's
 * text; for an open question the text itself. An empty line skips the question.
 *
 * @example
 * ```ts
 * readAnswerLine({ prompt: '…', choices: ['mergeMap', 'concatMap'] }, 'B'); // { ok: true, answer: 'concatMap' }
 * readAnswerLine({ prompt: '…', choices: ['mergeMap', 'concatMap'] }, 'x'); // { ok: false, error: '…' }
 * ```
 */
export function readAnswerLine(question: QuizQuestion, line: string): ReadLine {
  const text = line.trim();
  if (text === '') return { ok: true, answer: undefined };
  const { choices } = question;
  if (choices.length === 0) {
    if (text.length > MAX_ANSWER_LENGTH)
      return {
        ok: false,
        error: `that answer is ${text.length} characters long; at most ${MAX_ANSWER_LENGTH} are graded`,
      };
    return { ok: true, answer: text };
  }
  // The choice's own text first: a choice may itself be a single letter or a number.
  const same = choices.find((choice) => choice.trim().toLowerCase() === text.toLowerCase());
  if (same !== undefined) return { ok: true, answer: same };
  const byLetter = LETTER.exec(text)?.[1];
  const index =
    byLetter !== undefined
      ? byLetter.toLowerCase().charCodeAt(0) - 97
      : /^\d+$/.test(text)
        ? Number(text) - 1
        : -1;
  const choice = choices[index];
  if (index >= 0 && choice !== undefined) return { ok: true, answer: choice };
  return {
    ok: false,
    error: `pick one of ${letter(0)}-${letter(choices.length - 1)} (or type the choice's text); Enter skips the question`,
  };
}

/**
 * The grade run's `input.answers`: by the quiz's question ids (by number when the exam has no unique
 * ids), unanswered questions left out.
 *
 * @example
 * ```ts
 * gradeAnswers(quiz, ['concatMap', undefined, 'it completes']); // { q1: 'concatMap', q3: 'it completes' }
 * ```
 */
export function gradeAnswers(
  quiz: CliQuiz,
  answers: readonly (string | undefined)[],
): Record<string, string> {
  const ids = quiz.questions.map((question) => question.id);
  const byId = ids.every((id) => id !== undefined) && new Set(ids).size === ids.length;
  const out: Record<string, string> = {};
  quiz.questions.forEach((question, index) => {
    const answer = answers[index];
    if (answer !== undefined) out[byId ? question.id! : String(index + 1)] = answer;
  });
  return out;
}

/**
 * The grade run's result read defensively (an exam backend behind `EXAM_URL` produced it): null
 * when it has no score.
 */
export function gradeOfResult(result: unknown): GradeResult | null {
  if (!isRecord(result) || typeof result.score !== 'number' || typeof result.max_score !== 'number')
    return null;
  const feedback = Array.isArray(result.feedback)
    ? result.feedback.filter(isRecord).map((item) => ({
        question_id: String(item.question_id ?? ''),
        correct: item.correct === true,
        feedback: typeof item.feedback === 'string' ? item.feedback : '',
      }))
    : [];
  return { score: result.score, max_score: result.max_score, feedback };
}

/**
 * The score, then one line of feedback per question by its number in the quiz, marked ✓ or ✗.
 *
 * @example
 * ```ts
 * renderGrade(grade, quiz); // 'Score: 1 / 2\n✓ 1. Correct: "concatMap".\n✗ 2. Expected …'
 * ```
 */
export function renderGrade(grade: GradeResult, quiz: CliQuiz): string {
  const lines = [`Score: ${grade.score} / ${grade.max_score}`];
  for (const item of grade.feedback) {
    const index = quiz.questions.findIndex((question) => question.id === item.question_id);
    const name = index >= 0 ? `${index + 1}.` : `${item.question_id}:`;
    lines.push(`${item.correct ? '✓' : '✗'} ${name} ${item.feedback}`);
  }
  return lines.join('\n');
}

function letter(index: number): string {
  return String.fromCharCode(97 + index);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
