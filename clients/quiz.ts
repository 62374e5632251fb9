/**
 * The quiz as the `quiz` flow hands it to clients (its final message's `meta.exam`, its run's
 * `result.exam`): without the expected answers. Shared by the dashboard and the CLI.
 */
export interface QuizQuestion {
  /** The exam's id for the question (`q1`), when it has one: what a grade run's answers are keyed by. */
  readonly id?: string;
  readonly prompt: string;
  readonly choices: readonly string[];
}

export interface Quiz {
  readonly topic: string;
  readonly questions: readonly QuizQuestion[];
}

/**
 * Reads an exam defensively: it comes from a plugin, so nothing about its shape is taken on trust.
 * Null when it holds no question.
 *
 * @example
 * ```ts
 * quizOf(event.meta.exam)?.questions.length; // 3
 * ```
 */
export function quizOf(exam: unknown): Quiz | null {
  if (!isRecord(exam) || !Array.isArray(exam.questions)) return null;
  const questions = exam.questions.filter(isRecord).map((question) => ({
    ...(typeof question.id === 'string' && question.id !== '' ? { id: question.id } : {}),
    prompt: String(question.prompt ?? ''),
    choices: Array.isArray(question.choices) ? question.choices.map(String) : [],
  }));
  if (questions.length === 0) return null;
  return { topic: typeof exam.topic === 'string' ? exam.topic : '', questions };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
