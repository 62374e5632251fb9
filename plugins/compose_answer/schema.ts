import type { JsonSchema } from '../../core/plugins/plugin.ts';
import { chunkSchema } from '../exam-schemas.ts';

/** `ComposeAnswerInput` */
export const composeAnswerInput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    question: { type: 'string', minLength: 1, maxLength: 4000, pattern: '\\S' },
    passages: { type: 'array', items: chunkSchema, maxItems: 20, description: 'What retrieval found' },
  },
  required: ['question', 'passages'],
  additionalProperties: false,
} as const satisfies JsonSchema;

/** `ComposeAnswerOutput` */
export const composeAnswerOutput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    answer: { type: 'string' },
    sources: { type: 'array', items: { type: 'string' } },
    composed_by: {
      enum: ['model', 'extract'],
      description:
        '`model`: written by the language model and streamed to the session; `extract`: the best passages',
    },
  },
  required: ['answer', 'sources', 'composed_by'],
} as const satisfies JsonSchema;
