import { messageIdOf, streamedMessages } from './streamed-message.ts';
import type { SessionEvent } from './types.ts';

/** A quiz as the `quiz` flow puts it in its final message's `meta.exam` (without the answers). */
export interface Quiz {
  readonly topic: string;
  readonly questions: readonly {
    /** The exam's id for the question (`q1`), when it has one: what a grade run's answers are keyed by. */
    readonly id?: string;
    readonly prompt: string;
    readonly choices: readonly string[];
  }[];
}

export interface FinalAnswer {
  readonly seq: number;
  readonly content: string;
  /** Set when the message carries an exam the dashboard can lay out as a quiz. */
  readonly quiz: Quiz | null;
  /** The message tells the user what failed (`meta.error`). */
  readonly failed: boolean;
  /** The answer is still streaming in: `content` is the text so far. */
  readonly streaming: boolean;
  /** Why a streamed answer stopped short (`run cancelled`), or null. */
  readonly stopped: string | null;
}

/**
 * The last assistant message of a run: the quiz, the answer, or what went wrong. An answer that
 * streams in (`message.delta`) is the text so far until its closing `message` comes.
 *
 * @example
 * ```ts
 * finalAnswer(events, runId)?.quiz?.questions[0]?.prompt; // 'Which operator …?'
 * ```
 */
export function finalAnswer(events: readonly SessionEvent[], runId: string): FinalAnswer | null {
  const event = events.findLast(
    (candidate) =>
      candidate.run_id === runId &&
      (candidate.type === 'message' || candidate.type === 'message.delta') &&
      candidate.meta.role === 'assistant',
  );
  if (!event) return null;
  const id = messageIdOf(event);
  const streamed = id === null ? undefined : streamedMessages(events).get(id);
  return {
    seq: event.seq,
    content: streamed?.text ?? event.message,
    quiz: event.type === 'message' ? quizOf(event.meta.exam) : null,
    failed: event.meta.error != null,
    streaming: streamed !== undefined && !streamed.closed,
    stopped: streamed?.stopped ?? null,
  };
}

/** Reads `meta.exam` defensively: it comes from a plugin, so nothing about its shape is taken on trust. */
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
