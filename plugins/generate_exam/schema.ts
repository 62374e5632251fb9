import type { JsonSchema } from '../../core/plugins/plugin.ts';
import { chunkSchema } from '../rag_search/schema.ts';

export const DEFAULT_NUM_QUESTIONS = 3;
export const MAX_NUM_QUESTIONS = 20;
export const DEFAULT_KIND = 'mixed';

/** An `ExamQuestion`. */
export const questionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { enum: ['multiple_choice', 'open'] },
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

/** `GenerateExamInput` */
export const generateExamInput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    topic: {
      type: 'string',
      minLength: 1,
      maxLength: 500,
      pattern: '\\S',
      description: 'What the exam is about',
    },
    chunks: {
      type: 'array',
      items: chunkSchema,
      maxItems: 50,
      description: 'Course material to ask about, as found by rag_search',
    },
    num_questions: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_NUM_QUESTIONS,
      default: DEFAULT_NUM_QUESTIONS,
    },
    kind: { enum: ['multiple_choice', 'open', 'mixed'], default: DEFAULT_KIND },
  },
  required: ['topic', 'chunks'],
  additionalProperties: false,
} as const satisfies JsonSchema;

/** `GenerateExamOutput` */
export const generateExamOutput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { exam: examSchema },
  required: ['exam'],
} as const satisfies JsonSchema;
