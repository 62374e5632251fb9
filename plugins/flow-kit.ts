import { lastValueFrom } from 'rxjs';
import { errorMessage, isTributaryError, type FlowContext, type FlowEmission } from '../core/index.ts';
import type { Chunk, PlannerOutput, RagSearchOutput } from './contracts.ts';

/**
 * Calls a tool from a flow written as an async generator. On failure it emits the `tool_error`
 * step and a final assistant message that says in plain words what failed, then rethrows so the
 * run ends with `run.failed`. A cancel is rethrown untouched (the core emits `run.cancelled`).
 *
 * @example
 * ```ts
 * const { chunks } = yield* useTool<RagSearchOutput>(ctx, 'rag_search', { query }, 'search the course material');
 * ```
 */
export async function* useTool<O>(
  ctx: FlowContext,
  tool: string,
  input: unknown,
  doing: string,
): AsyncGenerator<FlowEmission, O> {
  try {
    return await lastValueFrom(ctx.callTool<O>(tool, input));
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const reason = errorMessage(error);
    const code = isTributaryError(error) ? error.code : 'TOOL_FAILED';
    yield {
      type: 'step',
      step: 'tool_error',
      level: 'error',
      message: `${tool} failed: ${reason}`,
      meta: { tool, code },
    };
    yield {
      type: 'message',
      role: 'assistant',
      content: `Sorry, I could not ${doing}: ${reason}. Please try again in a moment.`,
      meta: { error: { tool, code } },
    };
    throw error;
  }
}

/** A `step` emission. */
export const step = (name: string, message: string, meta?: Record<string, unknown>): FlowEmission => ({
  type: 'step',
  step: name,
  message,
  meta,
});

/**
 * The opening every built-in flow shares: the planner reads the question, then `intent_determined`.
 *
 * @example
 * ```ts
 * const plan = yield* determineIntent(ctx, input.question); // { intent: 'quiz', topic: 'RxJS operators', source: 'rules' }
 * ```
 */
export async function* determineIntent(
  ctx: FlowContext,
  question: string,
): AsyncGenerator<FlowEmission, PlannerOutput> {
  const plan = yield* useTool<PlannerOutput>(ctx, 'planner', { question }, 'understand the question');
  yield step('intent_determined', `intent: ${plan.intent}, topic: ${plan.topic}`, { ...plan });
  return plan;
}

/**
 * Retrieval as the built-in flows do it: `start_retrieval`, `rag_search`, a `tool` message naming
 * the sources found, `retrieval_done`.
 *
 * @example
 * ```ts
 * const chunks = yield* retrieve(ctx, plan.topic, input.top_k ?? 4);
 * ```
 */
export async function* retrieve(
  ctx: FlowContext,
  query: string,
  topK: number,
): AsyncGenerator<FlowEmission, Chunk[]> {
  yield step('start_retrieval', `searching the course material for "${query}"`, { query });
  const { chunks } = yield* useTool<RagSearchOutput>(
    ctx,
    'rag_search',
    { query, top_k: topK },
    'search the course material',
  );
  const sources = [...new Set(chunks.map((chunk) => chunk.source))];
  yield {
    type: 'message',
    role: 'tool',
    tool: 'rag_search',
    content: `found ${chunks.length} passages in ${sources.join(', ') || 'no source'}`,
  };
  yield step('retrieval_done', `found ${chunks.length} passages`, { chunks: chunks.length, sources });
  return chunks;
}
