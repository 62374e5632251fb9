import { defineFlow, type FlowEmission } from '../../core/index.ts';
import type { ComposeAnswerOutput } from '../compose_answer/index.ts';
import { DEFAULT_TOP_K, topKSchema } from '../exam-schemas.ts';
import { determineIntent, retrieve, step, useTool } from '../flow-kit.ts';

export interface AnswerInput {
  question: string;
  top_k?: number;
}

/**
 * The answer flow: understand the question, retrieve, answer from the retrieved passages
 * (`compose_answer`: the language model's answer streamed as it is written when `LLM_URL` is set,
 * else the best passages quoted with their sources).
 * Steps: `intent_determined`, `start_retrieval`, `retrieval_done`, `final_answer`.
 */
export const answerFlow = defineFlow<AnswerInput>({
  name: 'answer',
  version: '1.1.0',
  description: 'Answers a question from retrieved course material, citing sources',
  tools: ['planner', 'rag_search', 'compose_answer'],
  input: {
    type: 'object',
    properties: {
      question: { type: 'string', minLength: 1, maxLength: 4000 },
      top_k: topKSchema,
    },
    required: ['question'],
  },
  async *execute(input, ctx): AsyncGenerator<FlowEmission> {
    yield* determineIntent(ctx, input.question);
    const chunks = yield* retrieve(ctx, input.question, input.top_k ?? DEFAULT_TOP_K);
    yield step('final_answer', 'composing the answer');
    const { answer, sources, composed_by } = yield* useTool<ComposeAnswerOutput>(
      ctx,
      'compose_answer',
      { question: input.question, passages: chunks },
      'compose the answer',
    );
    // A model's answer is in the session already: it was stored as it streamed.
    if (composed_by === 'extract')
      yield { type: 'message', role: 'assistant', content: answer, meta: { sources } };
    yield { type: 'result', result: { answer, sources, composed_by } };
  },
});
