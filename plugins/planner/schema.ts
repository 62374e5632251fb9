import type { JsonSchema } from '../../core/plugins/plugin.ts';
import { INTENTS } from '../contracts.ts';

/** `PlannerInput` */
export const plannerInput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    question: {
      type: 'string',
      minLength: 1,
      maxLength: 4_000,
      pattern: '\\S',
      description: 'What the user asked',
    },
  },
  required: ['question'],
  additionalProperties: false,
} as const satisfies JsonSchema;

/** `PlannerOutput` */
export const plannerOutput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    intent: { enum: INTENTS },
    topic: { type: 'string', minLength: 1 },
    source: { enum: ['rules', 'llm'] },
  },
  required: ['intent', 'topic', 'source'],
  additionalProperties: false,
} as const satisfies JsonSchema;
