import type { JsonSchema } from '../../core/plugins/plugin.ts';
import { answerSchema, examSchema, feedbackSchema, MAX_ANSWERS } from '../exam-schemas.ts';

/** `GradeExamInput`: the exam as `generate_exam` made it, and the user's answers. */
export const gradeExamInput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    exam: examSchema,
    answers: {
      type: 'array',
      maxItems: MAX_ANSWERS,
      items: {
        ...answerSchema,
        properties: { ...answerSchema.properties, question_id: { type: 'string', minLength: 1 } },
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
    feedback: { type: 'array', items: feedbackSchema },
  },
  required: ['score', 'max_score', 'feedback'],
} as const satisfies JsonSchema;
