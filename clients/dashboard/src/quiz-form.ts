import { quizOf, type Quiz } from './final-answer.ts';
import { runSummaries, type RunStatus } from './run-status.ts';
import type { SessionEvent } from './types.ts';

/**
 * What the learner put in the quiz form, by question index: for a multiple choice question the
 * chosen choice's index (`'1'` for b), for an open question the text written; `undefined` or `''`
 * when left unanswered.
 */
export type FormAnswers = readonly (string | undefined)[];

/** The input of the `grade` run a submitted form starts. */
export interface GradeInput {
  readonly question: string;
  readonly answers: Readonly<Record<string, string>>;
}

export type GradeInputResult =
  | { readonly ok: true; readonly input: GradeInput }
  | {
      readonly ok: false;
      readonly error: string;
      /** The question the error is about (0-based), if one. */ readonly question?: number;
    };

/** The grade flow's `input.question`: it needs one, and `input.answers` carries what is graded. */
export const GRADE_QUESTION = 'Grade my answers';
/** The grade flow takes answers up to this long (its input schema's `maxLength`). */
export const MAX_ANSWER_LENGTH = 2000;

/** One question's feedback from the grade run, placed on the quiz's question it is about. */
export interface QuestionFeedback {
  readonly questionId: string;
  /** Index of the quiz's question (0-based), or null when the feedback names none of them. */
  readonly index: number | null;
  readonly correct: boolean;
  readonly feedback: string;
}

/** A grade run of a quiz, as far as it got. */
export interface GradeView {
  readonly runId: string;
  readonly status: RunStatus;
  /** Set once the run completed with a score. */
  readonly score: number | null;
  readonly maxScore: number | null;
  readonly feedback: readonly QuestionFeedback[];
  /** What went wrong, when the run failed or was cancelled. */
  readonly error: string | null;
}

/** A quiz and the grading of it: what the quiz form shows. */
export interface QuizLoop {
  /** The run whose final message holds the quiz. */
  readonly quizRunId: string;
  readonly quiz: Quiz;
  /** The grade run shown with the quiz: the one viewed, else the quiz's latest; null before any. */
  readonly grade: GradeView | null;
  /**
   * Whether this is the session's latest quiz: a grade run grades only that one (the session's
   * `data.last_exam`), so an older quiz's form cannot be submitted.
   */
  readonly latest: boolean;
}

/**
 * The grade run's input from the form: answers keyed by the quiz's question ids (by question number
 * when the exam has no unique ids), a chosen choice sent as the choice's own text (which the grade
 * flow matches before letters), open answers trimmed; unanswered questions left out (they count as
 * wrong). Nothing answered, or an answer over {@link MAX_ANSWER_LENGTH}, is an error saying so.
 *
 * @example
 * ```ts
 * gradeInput(quiz, ['1', 'it completes when the notifier emits']);
 * // { ok: true, input: { question: 'Grade my answers', answers: { q1: 'mergeMap', q2: 'it completes when the notifier emits' } } }
 * ```
 */
export function gradeInput(quiz: Quiz, answers: FormAnswers): GradeInputResult {
  const ids = quiz.questions.map((question) => question.id);
  const byId = ids.every((id) => id !== undefined) && new Set(ids).size === ids.length;
  const out: Record<string, string> = {};
  for (const [index, question] of quiz.questions.entries()) {
    const given = answers[index]?.trim() ?? '';
    if (given === '') continue;
    let answer = given;
    if (question.choices.length > 0) {
      const choice = question.choices[Number(given)];
      // The form only offers the quiz's own choices: anything else is a stale form, not an answer.
      if (!/^\d+$/.test(given) || choice === undefined)
        return { ok: false, error: `Question ${index + 1}: pick one of its choices.`, question: index };
      answer = choice;
    } else if (answer.length > MAX_ANSWER_LENGTH) {
      return {
        ok: false,
        error: `Question ${index + 1}: the answer is ${answer.length} characters long; at most ${MAX_ANSWER_LENGTH} are graded.`,
        question: index,
      };
    }
    out[byId ? question.id! : String(index + 1)] = answer;
  }
  if (Object.keys(out).length === 0)
    return { ok: false, error: 'Answer at least one question before submitting.', question: 0 };
  return { ok: true, input: { question: GRADE_QUESTION, answers: out } };
}

/**
 * The form's answers back from a grade run's `input.answers` (as {@link gradeInput} wrote them, or
 * as anyone sent them: `{"1": "b"}` or `[{question_id, answer}]`), so a reloaded page shows what was
 * graded: keys by question id or number, a multiple choice answer by the choice's text (any case) or
 * letter. What names no question or no choice is left out.
 *
 * @example
 * ```ts
 * formAnswersOf(quiz, { q1: 'concatMap', q2: 'it completes' }); // ['1', 'it completes']
 * ```
 */
export function formAnswersOf(quiz: Quiz, answers: unknown): FormAnswers {
  const entries: [string, unknown][] = Array.isArray(answers)
    ? answers.map((item) => [
        String((item as { question_id?: unknown })?.question_id),
        (item as { answer?: unknown })?.answer,
      ])
    : typeof answers === 'object' && answers !== null
      ? Object.entries(answers)
      : [];
  const out: (string | undefined)[] = [];
  for (const [key, answer] of entries) {
    if (typeof answer !== 'string') continue;
    const byId = quiz.questions.findIndex((question) => question.id === key);
    const number = /^\d+$/.test(key) ? Number(key) - 1 : -1;
    const index = byId >= 0 ? byId : number;
    const question = quiz.questions[index];
    if (!question) continue;
    if (question.choices.length === 0) {
      out[index] = answer;
      continue;
    }
    const byText = question.choices.findIndex(
      (choice) => choice.toLowerCase() === answer.trim().toLowerCase(),
    );
    const letter = /^[a-z]$/i.test(answer.trim()) ? answer.trim().toLowerCase().charCodeAt(0) - 97 : -1;
    const choice = byText >= 0 ? byText : letter < question.choices.length ? letter : -1;
    if (choice >= 0) out[index] = String(choice);
  }
  return out;
}

/**
 * The quiz loop a run belongs to: a quiz run with its quiz and latest grading, or a grade run with
 * the quiz it graded (the session's latest quiz before it started) and its own grading; null for
 * any other run. Grade runs are known by `run.started`'s `meta.flow`, or by `submitted` (grade run
 * id → quiz run id) for runs this page started that have not started yet.
 *
 * @example
 * ```ts
 * quizLoop(events, gradeRunId)?.grade?.score; // 2
 * ```
 */
export function quizLoop(
  events: readonly SessionEvent[],
  runId: string,
  submitted: ReadonlyMap<string, string> = new Map(),
): QuizLoop | null {
  const quizzes = quizMessages(events);
  const graded = gradedQuizzes(events, quizzes, submitted);
  const quizRunId = quizzes.some((quiz) => quiz.runId === runId) ? runId : graded.get(runId);
  const shown = quizzes.findLast((quiz) => quiz.runId === quizRunId);
  if (!shown) return null;
  const gradeRunId = graded.has(runId)
    ? runId
    : [...graded].findLast(([, quizRun]) => quizRun === shown.runId)?.[0];
  return {
    quizRunId: shown.runId,
    quiz: shown.quiz,
    grade: gradeRunId === undefined ? null : gradeView(events, gradeRunId, shown.quiz),
    latest: quizzes.at(-1)?.runId === shown.runId,
  };
}

/**
 * How a grade run went: its status, and once it completed, the score and the feedback by question
 * from its final assistant message (the grade flow puts the grader's `{score, max_score, feedback}`
 * in its `meta`); when it failed, what its last assistant message or its failure said.
 */
export function gradeView(events: readonly SessionEvent[], runId: string, quiz: Quiz): GradeView {
  const status = runSummaries(events).find((run) => run.runId === runId)?.status ?? 'queued';
  const runEvents = events.filter((event) => event.run_id === runId);
  const final = runEvents.findLast((event) => event.type === 'message' && event.meta.role === 'assistant');
  const meta = final?.meta ?? {};
  const completed = status === 'completed';
  const score = completed && typeof meta.score === 'number' ? meta.score : null;
  const maxScore = completed && typeof meta.max_score === 'number' ? meta.max_score : null;
  const feedback =
    completed && Array.isArray(meta.feedback) ? meta.feedback.flatMap((item) => feedbackOf(item, quiz)) : [];
  let error: string | null = null;
  if (status === 'failed')
    error =
      final?.message ??
      runEvents.findLast((event) => event.type === 'run.failed')?.message ??
      'The grade run failed.';
  if (status === 'cancelled') error = 'The grade run was cancelled.';
  return { runId, status, score, maxScore, feedback, error };
}

interface QuizMessage {
  readonly runId: string;
  readonly seq: number;
  readonly quiz: Quiz;
}

/** Every assistant message carrying a quiz, in seq order. */
function quizMessages(events: readonly SessionEvent[]): QuizMessage[] {
  const out: QuizMessage[] = [];
  for (const event of events) {
    if (event.type !== 'message' || event.meta.role !== 'assistant' || !event.run_id) continue;
    const quiz = quizOf(event.meta.exam);
    if (quiz) out.push({ runId: event.run_id, seq: event.seq, quiz });
  }
  return out;
}

/** Grade run id → the quiz run it graded, in the order the grade runs appeared. */
function gradedQuizzes(
  events: readonly SessionEvent[],
  quizzes: readonly QuizMessage[],
  submitted: ReadonlyMap<string, string>,
): Map<string, string> {
  const graded = new Map<string, string>();
  const firstSeq = new Map<string, number>();
  for (const event of events) {
    if (!event.run_id) continue;
    if (!firstSeq.has(event.run_id)) firstSeq.set(event.run_id, event.seq);
    if (event.type !== 'run.started' || (event.meta.flow !== 'grade' && !submitted.has(event.run_id)))
      continue;
    // The grade flow grades the session's latest quiz when it starts: the last one before this run.
    const quiz = quizzes.findLast((candidate) => candidate.seq < firstSeq.get(event.run_id!)!);
    if (quiz) graded.set(event.run_id, quiz.runId);
  }
  // Started from this page but not started yet: the quiz it was submitted for.
  for (const [gradeRunId, quizRunId] of submitted)
    if (!graded.has(gradeRunId) && !firstSeq.has(gradeRunId)) graded.set(gradeRunId, quizRunId);
  return graded;
}

function feedbackOf(item: unknown, quiz: Quiz): QuestionFeedback[] {
  if (typeof item !== 'object' || item === null) return [];
  const { question_id: questionId, correct, feedback } = item as Record<string, unknown>;
  if (typeof questionId !== 'string' || typeof correct !== 'boolean') return [];
  const byId = quiz.questions.findIndex((question) => question.id === questionId);
  const byNumber =
    /^\d+$/.test(questionId) && Number(questionId) <= quiz.questions.length ? Number(questionId) - 1 : -1;
  const index = byId >= 0 ? byId : byNumber >= 0 ? byNumber : null;
  return [{ questionId, index, correct, feedback: typeof feedback === 'string' ? feedback : '' }];
}
