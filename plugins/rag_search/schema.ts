import type { JsonSchema } from '../../core/plugins/plugin.ts';
import { chunkSchema, DEFAULT_TOP_K, topKSchema } from '../exam-schemas.ts';

/** `RagSearchInput` */
export const ragSearchInput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    query: {
      type: 'string',
      minLength: 1,
      maxLength: 2_000,
      pattern: '\\S',
      description: 'What to look for',
    },
    top_k: { ...topKSchema, default: DEFAULT_TOP_K, description: 'How many passages to return' },
  },
  required: ['query'],
  additionalProperties: false,
} as const satisfies JsonSchema;

/** `RagSearchOutput` */
export const ragSearchOutput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { chunks: { type: 'array', items: chunkSchema } },
  required: ['chunks'],
} as const satisfies JsonSchema;
