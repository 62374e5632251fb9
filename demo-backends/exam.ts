import { randomUUID } from 'node:crypto';
import type {
  Answer,
  Chunk,
  Exam,
  ExamQuestion,
  GenerateRequest,
  GradeResponse,
  QuestionFeedback,
  QuestionKind,
} from '../plugins/contracts.ts';
import { createTermRanker, termKey } from './key-terms.ts';
import { compareText, normalizeWords, splitSentences, wordsOf } from './text.ts';

/** How many wrong choices a multiple choice question offers next to the right one. */
const DISTRACTORS = 3;
/** How many key words an open question's answer lists. */
const KEY_WORDS = 3;
/** A sentence shorter than this gives too little context to fill a blank in. */
const MIN_CLOZE_WORDS = 5;
/** What replaces the answer in a cloze sentence. */
const BLANK = '_____';
/** Stack terms that fill up the choices when the context itself offers too few other terms. */
const FALLBACK_DISTRACTORS = ['Observable', 'middleware', 'room', 'operationId', 'span'];

/** A request the exam logic cannot serve, with the field at fault (the HTTP layer turns it into a 400). */
export class ExamInputError extends Error {
  override readonly name = 'ExamInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface GenerateExamOptions {
  /** Makes the exam id; a random uuid by default. Inject one for byte-identical exams in tests. */
  newId?: () => string;
}

/** A key term of a chunk: what an open question asks to explain. */
interface Topic {
  readonly chunk: Chunk;
  readonly chunkIndex: number;
  readonly term: string;
}

/** A key term in one sentence, spelled and placed as there: what a cloze question blanks out. */
interface Fact extends Topic {
  readonly sentence: string;
  readonly at: number;
}

/**
 * Builds an exam from retrieved chunks, deterministically: the same request gives the same questions
 * (only the exam id is random). Multiple choice questions are cloze questions: a sentence with one
 * of its key terms blanked out, choices = that term plus key terms of the other chunks, sorted.
 * Open questions ask to explain a chunk's key term and expect three other key words of the chunk.
 * `mixed` alternates, starting with multiple choice. Terms rotate across chunks and none is asked
 * twice while fresh ones are left. Ids are `q1`, `q2`, … in order.
 *
 * @throws {ExamInputError} when the context has nothing to ask the requested kind of question about.
 *
 * @example
 * ```ts
 * const exam = generateExam({ topic: 'RxJS', context: chunks, num_questions: 2, kind: 'mixed' });
 * exam.questions[0];
 * // { id: 'q1', kind: 'multiple_choice', prompt: 'Fill in the blank: _____ queues inner Observables …',
 * //   choices: ['concatMap', 'concurrency', 'mergeMap', 'switchMap'], answer: 'concatMap', source: 'rxjs-guide.md#concatmap' }
 * ```
 */
export function generateExam(request: GenerateRequest, options: GenerateExamOptions = {}): Exam {
  const rank = createTermRanker(request.context.map((chunk) => chunk.text));
  const rankedByChunk = request.context.map((chunk) => rank(chunk.text));
  const facts = interleave(request.context.map((chunk, index) => chunkFacts(chunk, index, rankedByChunk)));
  const topics = interleave(
    request.context.map((chunk, chunkIndex) =>
      (rankedByChunk[chunkIndex] ?? []).map((term): Topic => ({ chunk, chunkIndex, term })),
    ),
  );
  const asked = new Set<string>();
  const questions = Array.from({ length: request.num_questions }, (_, index) => {
    const id = `q${index + 1}`;
    if (kindAt(request.kind, index) === 'multiple_choice') {
      const fact = pick(facts, asked, index, 'a sentence long enough for a multiple choice question');
      return clozeQuestion(id, fact, rankedByChunk);
    }
    return openQuestion(id, pick(topics, asked, index, 'a term to ask about'), rankedByChunk);
  });
  return { id: (options.newId ?? randomUUID)(), topic: request.topic, questions };
}

/**
 * Grades answers against the exam's expected answers. Multiple choice: the chosen text must equal the
 * answer (case and surrounding space ignored). Open: the answer must mention at least half of the key
 * words. Unanswered questions count as wrong; every question gets feedback that says what was expected.
 *
 * @throws {ExamInputError} for an answer to a question the exam does not have, or two answers to one question.
 *
 * @example
 * ```ts
 * gradeExam(exam, [{ question_id: 'q1', answer: 'mergeMap' }]);
 * // { score: 1, max_score: 2, feedback: [{ question_id: 'q1', correct: true, feedback: 'Correct: "mergeMap".' }, …] }
 * ```
 */
export function gradeExam(exam: Exam, answers: readonly Answer[]): GradeResponse {
  const questionIds = new Set<string>();
  exam.questions.forEach((question, index) => {
    if (questionIds.has(question.id)) {
      throw new ExamInputError(
        `exam.questions.${index}.id`,
        `exam has two questions with id "${question.id}"`,
      );
    }
    questionIds.add(question.id);
  });
  const given = new Map<string, string>();
  answers.forEach((answer, index) => {
    const field = `answers.${index}.question_id`;
    if (!questionIds.has(answer.question_id)) {
      throw new ExamInputError(field, `${field} "${answer.question_id}" is not a question of this exam`);
    }
    if (given.has(answer.question_id)) {
      throw new ExamInputError(field, `${field} "${answer.question_id}" is answered twice`);
    }
    given.set(answer.question_id, answer.answer);
  });
  const feedback = exam.questions.map((question) => gradeQuestion(question, given.get(question.id)));
  return {
    score: feedback.filter((item) => item.correct).length,
    max_score: exam.questions.length,
    feedback,
  };
}

function kindAt(kind: GenerateRequest['kind'], index: number): QuestionKind {
  if (kind !== 'mixed') return kind;
  return index % 2 === 0 ? 'multiple_choice' : 'open';
}

/** The first candidate whose term is not asked yet; once all are, candidates repeat in order. */
function pick<T extends Topic>(candidates: readonly T[], asked: Set<string>, index: number, what: string): T {
  const fresh = candidates.find((candidate) => !asked.has(termKey(candidate.term)));
  const chosen = fresh ?? candidates[index % Math.max(candidates.length, 1)];
  if (chosen === undefined) throw new ExamInputError('context', `context has no ${what}`);
  asked.add(termKey(chosen.term));
  return chosen;
}

/** A chunk's facts: the best term of each sentence first, then each sentence's second best, and so on. */
function chunkFacts(chunk: Chunk, chunkIndex: number, rankedByChunk: readonly string[][]): Fact[] {
  const ranked = rankedByChunk[chunkIndex] ?? [];
  const perSentence = splitSentences(chunk.text)
    .map((sentence) => {
      const words = wordsOf(sentence);
      const firstByKey = new Map<string, { word: string; index: number }>();
      for (const { word, index } of words) {
        const key = termKey(word);
        if (!firstByKey.has(key)) firstByKey.set(key, { word, index });
      }
      const terms = ranked.flatMap((term) => {
        const found = firstByKey.get(termKey(term));
        return found === undefined ? [] : [found];
      });
      return { sentence, terms, wordCount: words.length };
    })
    .filter(({ terms, wordCount }) => terms.length > 0 && wordCount >= MIN_CLOZE_WORDS);
  return interleave(
    perSentence.map(({ sentence, terms }) =>
      terms.map(({ word, index }): Fact => ({ chunk, chunkIndex, sentence, term: word, at: index })),
    ),
  );
}

/** Round-robin over lists: the first of each, then the second of each, …: spreads questions across chunks. */
function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((list) => list.length));
  for (let rank = 0; rank < longest; rank += 1) {
    for (const list of lists) {
      const item = list[rank];
      if (item !== undefined) out.push(item);
    }
  }
  return out;
}

function clozeQuestion(id: string, fact: Fact, rankedByChunk: readonly string[][]): ExamQuestion {
  const cloze = fact.sentence.slice(0, fact.at) + BLANK + fact.sentence.slice(fact.at + fact.term.length);
  const choices = [fact.term, ...distractors(fact, rankedByChunk)].sort(
    (a, b) => compareText(termKey(a), termKey(b)) || compareText(a, b),
  );
  return {
    id,
    kind: 'multiple_choice',
    prompt: `Fill in the blank: ${cloze}`,
    choices,
    answer: fact.term,
    source: fact.chunk.source,
  };
}

function openQuestion(id: string, fact: Topic, rankedByChunk: readonly string[][]): ExamQuestion {
  const termId = termKey(fact.term);
  const keyWords = (rankedByChunk[fact.chunkIndex] ?? [])
    .filter((term) => termKey(term) !== termId)
    .slice(0, KEY_WORDS);
  const where = fact.chunk.source === '' ? '' : ` as described in ${fact.chunk.source}`;
  return {
    id,
    kind: 'open',
    prompt: `Explain ${fact.term}${where}.`,
    // A chunk with a single term has nothing else to expect: then the term itself is the key word.
    answer: (keyWords.length > 0 ? keyWords : [fact.term]).join(', '),
    source: fact.chunk.source,
  };
}

/**
 * Wrong choices that are plausible (key terms of the other chunks, nearest chunk first) and not
 * accidentally right (never a term of the cloze sentence itself).
 */
function distractors(fact: Fact, rankedByChunk: readonly string[][]): string[] {
  const excluded = new Set(wordsOf(fact.sentence).map(({ word }) => termKey(word)));
  const out: string[] = [];
  const consider = (term: string): void => {
    const key = termKey(term);
    if (out.length >= DISTRACTORS || excluded.has(key)) return;
    excluded.add(key);
    out.push(term);
  };
  const total = rankedByChunk.length;
  const others = Array.from(
    { length: total - 1 },
    (_, step) => rankedByChunk[(fact.chunkIndex + 1 + step) % total] ?? [],
  );
  for (const term of interleave(others)) consider(term);
  for (const term of rankedByChunk[fact.chunkIndex] ?? []) consider(term);
  for (const term of FALLBACK_DISTRACTORS) consider(term);
  return out;
}

function gradeQuestion(question: ExamQuestion, answer: string | undefined): QuestionFeedback {
  const base = { question_id: question.id };
  if (question.kind === 'multiple_choice') {
    const expected = `"${question.answer}"`;
    if (answer === undefined || answer.trim() === '') {
      return { ...base, correct: false, feedback: `No answer given; expected ${expected}.` };
    }
    const correct = sameChoice(answer, question.answer);
    return {
      ...base,
      correct,
      feedback: correct ? `Correct: ${expected}.` : `Expected ${expected}, got "${answer.trim()}".`,
    };
  }
  const keyWords = question.answer
    .split(',')
    .map((word) => word.trim())
    .filter((word) => word !== '');
  const needed = Math.max(1, Math.ceil(keyWords.length / 2));
  const expected = `at least ${needed} of: ${keyWords.join(', ')}`;
  if (answer === undefined || answer.trim() === '') {
    return {
      ...base,
      correct: false,
      feedback: `No answer given; expected an explanation mentioning ${expected}.`,
    };
  }
  const found = keyWords.filter((word) => mentions(answer, word));
  const correct = found.length >= needed;
  const mentioned = found.length === 0 ? 'none' : found.join(', ');
  return {
    ...base,
    correct,
    feedback: correct
      ? `Correct: mentions ${found.length} of ${keyWords.length} key words (${mentioned}).`
      : `Expected an explanation mentioning ${expected}; mentioned ${mentioned}.`,
  };
}

function sameChoice(given: string, expected: string): boolean {
  return given.trim().toLowerCase() === expected.trim().toLowerCase();
}

/** Whether `text` contains `keyWord` as whole words, ignoring case, punctuation and plural endings. */
function mentions(text: string, keyWord: string): boolean {
  const needle = normalizeWords(keyWord).join(' ');
  return needle !== '' && ` ${normalizeWords(text).join(' ')} `.includes(` ${needle} `);
}
