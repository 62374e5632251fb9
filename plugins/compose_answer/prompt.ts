import type { ChatMessage } from '../../core/llm/language-model.ts';
import type { Chunk } from '../contracts.ts';

/** Keeps the model to the course material and its sources (retrieval-augmented answering). */
const SYSTEM = [
  'You are a tutor answering a learner from course material.',
  'Answer only from the numbered passages below; if they do not answer the question, say so plainly.',
  'Cite the source of each claim in square brackets, as written after each passage, e.g. [rxjs-guide.md#mergemap].',
  'Be brief: a few sentences, plain text.',
].join(' ');

/**
 * The chat messages that ask the model to answer `question` from `passages`.
 *
 * @example
 * ```ts
 * answerPrompt('What does mergeMap do?', chunks); // [{ role: 'system', … }, { role: 'user', … }]
 * ```
 */
export function answerPrompt(question: string, passages: readonly Chunk[]): ChatMessage[] {
  const numbered = passages.map((chunk, i) => `(${i + 1}) ${chunk.text} [${chunk.source}]`).join('\n');
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: `Passages:\n${numbered || '(none found)'}\n\nQuestion: ${question}` },
  ];
}
