import type { Chunk } from '../plugins/contracts.ts';
import { splitSentences, tokenize } from './text.ts';

/** How many retrieved chunks an answer quotes from: enough to be useful, short enough to read. */
const QUOTED_CHUNKS = 2;
/** A lower chunk is quoted only when its score is at least this share of the best one. */
const RUNNER_UP_SHARE = 0.5;
/** A sentence opening with one of these leans on the one before it, so both are quoted. */
const LEANS_BACK = /^(?:it|its|this|these|they|their|that|those|such)\b/i;

/**
 * An extractive answer: from each of the best chunks, the sentence sharing the most words with the
 * question, each followed by its source in brackets. Nothing is invented, which is the honest thing
 * for a demo backend with no language model. With no chunks it says the demo corpus has nothing
 * on the question and what it does cover.
 *
 * @example
 * ```ts
 * composeAnswer('What limits mergeMap concurrency?', index.search('What limits mergeMap concurrency?', 4));
 * // 'The optional concurrent argument of mergeMap sets the concurrency limit: … [rxjs-guide.md#mergemap]'
 * ```
 */
export function composeAnswer(question: string, chunks: readonly Chunk[]): string {
  if (chunks.length === 0) {
    return (
      `The demo corpus has no passage about "${question.trim()}". ` +
      'It covers RxJS, Koa, Socket.IO, OpenAPI and OpenTelemetry.'
    );
  }
  const asked = new Set(tokenize(question));
  const topScore = chunks[0]?.score ?? 0;
  const quotes: string[] = [];
  for (const [rank, chunk] of chunks.slice(0, QUOTED_CHUNKS).entries()) {
    const best = bestSentence(chunk.text, asked);
    if (best === undefined) continue;
    // The top chunk always speaks; a lower one only when it is nearly as relevant and on the question.
    const relevant = rank === 0 || (chunk.score >= topScore * RUNNER_UP_SHARE && best.overlap > 0);
    if (relevant) quotes.push(`${best.sentence} [${chunk.source}]`);
  }
  return quotes.join(' ');
}

/**
 * The sentence with the most distinct question words (the earliest wins a tie), together with the
 * sentence before it when it opens with a pronoun: "It suits typeahead search" alone says nothing.
 */
function bestSentence(
  text: string,
  asked: ReadonlySet<string>,
): { sentence: string; overlap: number } | undefined {
  const sentences = splitSentences(text);
  let best: { index: number; overlap: number } | undefined;
  for (const [index, sentence] of sentences.entries()) {
    const overlap = new Set(tokenize(sentence).filter((token) => asked.has(token))).size;
    if (best === undefined || overlap > best.overlap) best = { index, overlap };
  }
  if (best === undefined) return undefined;
  const { index, overlap } = best;
  const start = index > 0 && LEANS_BACK.test(sentences[index] ?? '') ? index - 1 : index;
  return { sentence: sentences.slice(start, index + 1).join(' '), overlap };
}
