import { messageIdOf, streamedMessages } from './streamed-message.ts';
import type { SessionEvent } from './types.ts';

import { quizOf, type Quiz } from '../../quiz.ts';

export { quizOf, type Quiz };

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
