import type { Chunk } from '../plugins/contracts.ts';
import type { Passage } from './corpus.ts';
import { compareText, tokenize } from './text.ts';

/** Scores are rounded so that two scores that print the same also sort the same (then by id). */
const SCORE_DECIMALS = 4;

interface IndexedPassage {
  readonly passage: Passage;
  readonly weights: ReadonlyMap<string, number>;
  readonly norm: number;
}

/**
 * Deterministic retrieval over a fixed set of passages: tf-idf vectors compared by cosine similarity.
 * Cosine keeps every score in [0, 1] on an absolute scale (1 = same weighted terms), so a weak best
 * match still looks weak, unlike a score divided by the best one. No randomness and no clock: the
 * same query always gives the same chunks in the same order (score descending, then id ascending).
 *
 * @example
 * ```ts
 * const index = new SearchIndex(DEMO_CORPUS);
 * index.search('mergeMap concurrency', 2);
 * // [{ id: 'rxjs-mergemap', text: 'mergeMap maps each source value …', source: 'rxjs-guide.md#mergemap', score: 0.4636 }]
 * ```
 */
export class SearchIndex {
  readonly #passages: readonly IndexedPassage[];
  readonly #documentFrequency: ReadonlyMap<string, number>;
  readonly #total: number;

  constructor(passages: readonly Passage[]) {
    this.#total = passages.length;
    const seen = new Set<string>();
    const counted = passages.map((passage) => {
      if (seen.has(passage.id)) throw new Error(`SearchIndex: duplicate passage id "${passage.id}"`);
      seen.add(passage.id);
      // The title is part of what a passage is about, so it is searched along with the text.
      return { passage, counts: termCounts(tokenize(`${passage.title ?? ''} ${passage.text}`)) };
    });
    const documentFrequency = new Map<string, number>();
    for (const { counts } of counted) {
      for (const term of counts.keys()) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
    this.#documentFrequency = documentFrequency;
    this.#passages = counted.map(({ passage, counts }) => {
      const weights = this.#weigh(counts);
      return { passage, weights, norm: vectorNorm(weights) };
    });
  }

  /**
   * The `topK` passages most similar to `query`, as contract chunks with a score in [0, 1].
   * Passages sharing no term with the query are never returned, so an unrelated query gives `[]`.
   */
  search(query: string, topK: number): Chunk[] {
    const limit = Math.max(0, Math.floor(topK));
    const queryWeights = this.#weigh(termCounts(tokenize(query)));
    const queryNorm = vectorNorm(queryWeights);
    if (limit === 0 || queryNorm === 0) return [];
    const hits: Chunk[] = [];
    for (const { passage, weights, norm } of this.#passages) {
      let dot = 0;
      for (const [term, weight] of queryWeights) dot += weight * (weights.get(term) ?? 0);
      if (dot === 0) continue;
      const score = round(Math.min(1, dot / (queryNorm * norm)));
      hits.push({ id: passage.id, text: passage.text, source: passage.source, score });
    }
    hits.sort((a, b) => b.score - a.score || compareText(a.id, b.id));
    return hits.slice(0, limit);
  }

  /** tf-idf weights: sublinear term frequency (1 + ln tf) times smoothed inverse document frequency. */
  #weigh(counts: ReadonlyMap<string, number>): Map<string, number> {
    const weights = new Map<string, number>();
    for (const [term, count] of counts) {
      // A term no passage has still counts in the query's length: half-matching queries score lower.
      const df = Math.max(1, this.#documentFrequency.get(term) ?? 0);
      weights.set(term, (1 + Math.log(count)) * Math.log(1 + Math.max(this.#total, 1) / df));
    }
    return weights;
  }
}

function termCounts(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  return counts;
}

function vectorNorm(weights: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const weight of weights.values()) sum += weight * weight;
  return Math.sqrt(sum);
}

function round(score: number): number {
  const factor = 10 ** SCORE_DECIMALS;
  return Math.round(score * factor) / factor;
}
