import type { JsonSchema } from '../../core/plugins/plugin.ts';
import {
  chunkSchema,
  DEFAULT_KIND,
  DEFAULT_NUM_QUESTIONS,
  EXAM_KINDS,
  examSchema,
  numQuestionsSchema,
} from '../exam-schemas.ts';

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
    num_questions: { ...numQuestionsSchema, default: DEFAULT_NUM_QUESTIONS },
    kind: { enum: EXAM_KINDS, default: DEFAULT_KIND },
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
