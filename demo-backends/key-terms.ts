import { compareText, isStopword, normalizeWords, wordsOf } from './text.ts';

/** Ranks the words of one text by how good a quiz answer they make. */
export type TermRanker = (text: string) => string[];

/**
 * Builds a ranker for the key terms of a set of related texts (the chunks of one exam). A term ranks
 * higher when it looks like a technical name (`mergeMap`, `OTLP`, `ctx.body`, `Observable`) and when
 * few of the texts use it, since a term every chunk shares says little about any one of them.
 * Ties break by length (longer first) and then by spelling, so the ranking is fully deterministic.
 *
 * @example
 * ```ts
 * const rank = createTermRanker(['mergeMap subscribes to inner Observables.', 'switchMap cancels the previous one.']);
 * rank('mergeMap subscribes to inner Observables.'); // ['mergeMap', 'Observables', 'subscribes', 'inner']
 * ```
 */
export function createTermRanker(texts: readonly string[]): TermRanker {
  const documentFrequency = new Map<string, number>();
  for (const text of texts) {
    for (const key of new Set(candidateTerms(text).map(({ term }) => termKey(term)))) {
      documentFrequency.set(key, (documentFrequency.get(key) ?? 0) + 1);
    }
  }
  const total = Math.max(texts.length, 1);
  return (text) => {
    const ranked = new Map<string, { term: string; weight: number }>();
    for (const { term, shape } of candidateTerms(text)) {
      const key = termKey(term);
      const specificity = Math.log((1 + total) / (documentFrequency.get(key) ?? 1));
      const known = ranked.get(key);
      // The first spelling is kept; the best-shaped occurrence sets the weight.
      if (known === undefined || known.weight < shape + specificity) {
        ranked.set(key, { term: known?.term ?? term, weight: shape + specificity });
      }
    }
    return [...ranked.values()]
      .sort(
        (a, b) =>
          b.weight - a.weight ||
          b.term.length - a.term.length ||
          compareText(termKey(a.term), termKey(b.term)) ||
          compareText(a.term, b.term),
      )
      .map(({ term }) => term);
  };
}

/**
 * The case-insensitive identity of a term, so `Observable` and `observable` count as one.
 *
 * @example
 * ```ts
 * termKey('Socket.IO'); // 'socket io'
 * ```
 */
export function termKey(term: string): string {
  return normalizeWords(term).join(' ');
}

/** Words worth asking about: not stopwords, not bare numbers, and either long or shaped like a name. */
function candidateTerms(text: string): { term: string; shape: number }[] {
  const out: { term: string; shape: number }[] = [];
  for (const { word, index } of wordsOf(text)) {
    const key = termKey(word);
    if (key === '' || isStopword(word.toLowerCase()) || /^[\d\s]+$/.test(key)) continue;
    // A capital at the start of a sentence is grammar, not a sign of a name.
    const sentenceStart = /(?:^|[.!?:]\s+)$/.test(text.slice(Math.max(0, index - 3), index));
    const shape = shapeWeight(word, sentenceStart);
    if (word.length >= 4 || shape > 0) out.push({ term: word, shape });
  }
  return out;
}

/**
 * How much a word looks like a technical name rather than ordinary prose. Weighted above the
 * specificity bonus (at most ln(n + 1)) so a name shared by several chunks still beats a rare verb.
 */
function shapeWeight(word: string, sentenceStart: boolean): number {
  if (/\p{Ll}\p{Lu}/u.test(word)) return 4; // camelCase: mergeMap, operationId, BehaviorSubject
  if (/[./@$]/.test(word)) return 3; // ctx.body, @koa/router, $ref, Socket.IO
  if (/^\p{Lu}[\p{Lu}\p{N}]+$/u.test(word)) return 3; // acronyms: OTLP, JSON, W3C
  if (!sentenceStart && /^\p{Lu}/u.test(word)) return 2; // proper nouns: Observable, Jaeger, Koa
  // Participles (merging, cancelled) are usually verbs: rarely the point of a sentence.
  return /(?:ing|ed)$/.test(word) ? -0.5 : 0;
}
