import type { JsonSchema } from '../core/plugins/plugin.ts';

/**
 * The JSON Schemas of the shapes in `contracts.ts`, and their limits: the one source both sides read.
 * The tools (`rag_search`, `generate_exam`, `grade_exam`) and flows check their input and output with them,
 * and the demo backends (`demo-backends/`) build their request checks from them, so a limit changed here
 * changes on both sides of the wire at once.
 *
 * @example
 * ```ts
 * const input = { type: 'object', properties: { top_k: topKSchema, exam: examSchema }, required: ['exam'] };
 * ```
 */

/** `top_k` when a request leaves it out. */
export const DEFAULT_TOP_K = 4;
/** The largest `top_k` accepted. */
export const MAX_TOP_K = 20;
/** `num_questions` when a request leaves it out. */
export const DEFAULT_NUM_QUESTIONS = 3;
/** The most questions one exam may have. */
export const MAX_NUM_QUESTIONS = 20;
/** The most answers one grading takes. */
export const MAX_ANSWERS = 100;
export const QUESTION_KINDS = ['multiple_choice', 'open'] as const;
/** What `kind` an exam may ask for: one kind of question, or both. */
export const EXAM_KINDS = [...QUESTION_KINDS, 'mixed'] as const;
/** `kind` when a request leaves it out. */
export const DEFAULT_KIND = 'mixed';

/** How many passages to return. */
export const topKSchema = { type: 'integer', minimum: 1, maximum: MAX_TOP_K } as const satisfies JsonSchema;

/** How many questions to write. */
export const numQuestionsSchema = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_NUM_QUESTIONS,
} as const satisfies JsonSchema;

/** A retrieved passage (`Chunk`); `generate_exam` takes these as its context. */
export const chunkSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    text: { type: 'string' },
    source: { type: 'string', description: 'Where it came from, e.g. `rxjs-guide.md#operators`' },
    score: { type: 'number', minimum: 0, maximum: 1, description: 'Relevance, higher is better' },
  },
  required: ['id', 'text', 'source', 'score'],
} as const satisfies JsonSchema;

/** An `ExamQuestion`. */
export const questionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { enum: QUESTION_KINDS },
    prompt: { type: 'string' },
    choices: { type: 'array', items: { type: 'string' }, description: 'Present for multiple choice' },
    answer: { type: 'string', description: 'The expected answer: a choice, or key words' },
    source: { type: 'string' },
  },
  required: ['id', 'kind', 'prompt', 'answer'],
} as const satisfies JsonSchema;

/** An `Exam`; `grade_exam` takes it back with the answers. */
export const examSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    topic: { type: 'string' },
    questions: { type: 'array', items: questionSchema },
  },
  required: ['id', 'topic', 'questions'],
} as const satisfies JsonSchema;

/** An `Answer` to one question. */
export const answerSchema = {
  type: 'object',
  properties: { question_id: { type: 'string' }, answer: { type: 'string' } },
  required: ['question_id', 'answer'],
} as const satisfies JsonSchema;

/** A `QuestionFeedback`. */
export const feedbackSchema = {
  type: 'object',
  properties: {
    question_id: { type: 'string' },
    correct: { type: 'boolean' },
    feedback: { type: 'string' },
  },
  required: ['question_id', 'correct', 'feedback'],
} as const satisfies JsonSchema;
