/**
 * The text handling the demo backends share: one tokenizer for retrieval and grading, sentence
 * splitting, and case-preserving word extraction for building questions.
 */

/**
 * Words too common to tell passages apart. Small on purpose: the corpus is short and technical,
 * and a word dropped here can never be searched for nor asked about.
 */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again all also an and another any are as at be because been before being ' +
    'both but by can could did do does doing done during each either else every few for from get gets ' +
    'given had has have having he her here how i if in into is it its itself just may me more most much ' +
    'must my no nor not now of off on once one only or other our out over own same she should so some ' +
    'such than that the their them then there these they this those through to too under until up upon ' +
    'us use used uses very was way we were what when where whether which while who whom why will with ' +
    'within without would you your ' +
    // Filler that reads like content but never makes a good search term or quiz answer.
    'always back even extra first instead keep last let like make made need never new nothing often put ' +
    'putting something still usual ' +
    // Question words: "tell me about X" is about X, not about telling.
    'describe explain give know show tell'
  ).split(' '),
);

/** Letters or digits: what a token is made of. Everything else separates tokens. */
const NON_WORD = /[^\p{L}\p{N}]+/u;

/**
 * Words as written, for quoting them back: letters and digits plus the joiners of technical names
 * (`ctx.body`, `@koa/router`, `Socket.IO`, `$ref`, `keep-alive`), never ending in punctuation.
 */
const WORD = /[\p{L}\p{N}@$][\p{L}\p{N}@$./_-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu;

/**
 * Search tokens of a text: lowercased, split on anything that is not a letter or digit, simple
 * plurals folded (`rooms` -> `room`), stopwords and one-character tokens dropped.
 *
 * @example
 * ```ts
 * tokenize('How does mergeMap limit its inner subscriptions?');
 * // ['mergemap', 'limit', 'inner', 'subscription']
 * ```
 */
export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .split(NON_WORD)
    .filter((token) => token.length > 1 && !isStopword(token))
    .map(singular);
}

/**
 * Whether a lowercase word is a stopword as written or once its plural is folded (`does`, `uses`).
 *
 * @example
 * ```ts
 * isStopword('does'); // true
 * isStopword('rooms'); // false
 * ```
 */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word) || STOPWORDS.has(singular(word));
}

/**
 * Every word of a text in the form answers are compared in: lowercased, plurals folded, stopwords kept.
 *
 * @example
 * ```ts
 * normalizeWords('Socket.IO rooms'); // ['socket', 'io', 'room']
 * ```
 */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(NON_WORD)
    .filter((token) => token !== '')
    .map(singular);
}

/**
 * Splits prose into sentences at `.`, `!` or `?` followed by white space. Technical names with inner
 * dots (`ctx.body`) stay whole because no space follows their dot.
 *
 * @example
 * ```ts
 * splitSentences('Koa is small. ctx.body sets the response!'); // ['Koa is small.', 'ctx.body sets the response!']
 * ```
 */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
}

/** A word as it appears in a text, with where it starts. */
export interface WordAt {
  readonly word: string;
  readonly index: number;
}

/**
 * The words of a text with their original casing and positions, so a question can quote or blank them out.
 *
 * @example
 * ```ts
 * wordsOf('Use @koa/router.'); // [{ word: 'Use', index: 0 }, { word: '@koa/router', index: 4 }]
 * ```
 */
export function wordsOf(text: string): WordAt[] {
  return [...text.matchAll(WORD)].map((match) => ({ word: match[0], index: match.index }));
}

/** Folds the regular English plural so `subscriptions` finds `subscription`; leaves `process`, `status`, `this` alone. */
function singular(token: string): string {
  return token.length > 3 && token.endsWith('s') && !/(?:ss|us|is)$/.test(token) ? token.slice(0, -1) : token;
}

/**
 * Plain code-unit order, for tie-breaks that must be the same on every machine (unlike `localeCompare`).
 *
 * @example
 * ```ts
 * ['b', 'B', 'a'].sort(compareText); // ['B', 'a', 'b']
 * ```
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
