import type { JsonSchema } from '../../core/plugins/plugin.ts';
import { examSchema } from '../generate_exam/schema.ts';

/** `GradeExamInput`: the exam as `generate_exam` made it, and the user's answers. */
export const gradeExamInput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    exam: examSchema,
    answers: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        properties: { question_id: { type: 'string', minLength: 1 }, answer: { type: 'string' } },
        required: ['question_id', 'answer'],
        additionalProperties: false,
      },
    },
  },
  required: ['exam', 'answers'],
  additionalProperties: false,
} as const satisfies JsonSchema;

/** `GradeExamOutput` */
export const gradeExamOutput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    score: { type: 'number', minimum: 0 },
    max_score: { type: 'number', minimum: 0 },
    feedback: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          question_id: { type: 'string' },
          correct: { type: 'boolean' },
          feedback: { type: 'string' },
        },
        required: ['question_id', 'correct', 'feedback'],
      },
    },
  },
  required: ['score', 'max_score', 'feedback'],
} as const satisfies JsonSchema;
