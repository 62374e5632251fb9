import type { JsonSchema } from '../../core/plugins/plugin.ts';

export const DEFAULT_TOP_K = 4;
export const MAX_TOP_K = 20;

/** A retrieved passage (`Chunk` in contracts.ts); `generate_exam` takes these as its context. */
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
    top_k: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_TOP_K,
      default: DEFAULT_TOP_K,
      description: 'How many passages to return',
    },
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
