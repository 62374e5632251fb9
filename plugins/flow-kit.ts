import { lastValueFrom } from 'rxjs';
import { errorMessage, isTributaryError, type FlowContext, type FlowEmission } from '../core/index.ts';
import type { Chunk, PlannerOutput, RagSearchOutput } from './contracts.ts';
import { withoutUrls } from './http/http-errors.ts';

/**
 * Calls a tool from a flow written as an async generator. On failure it emits the `tool_error`
 * step and a final assistant message that says in plain words what failed (see {@link userFacingReason}),
 * suggesting to try again only when the failure is retryable, then rethrows so the run ends with
 * `run.failed`. A cancel is rethrown untouched (the core emits `run.cancelled`).
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
    const reason = userFacingReason(error);
    const code = isTributaryError(error) ? error.code : 'TOOL_FAILED';
    // Only a blip (timeout, refused connection, 502/503/504) may go away by itself; a 404 will not.
    const retryable = isTributaryError(error) && error.retryable;
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
      content: `Sorry, I could not ${doing}: ${reason}.${retryable ? ' Please try again in a moment.' : ''}`,
      meta: { error: { tool, code, retryable } },
    };
    throw error;
  }
}

/**
 * What a user may read about a failed tool call: the error's `details.user_message` when it has one (the
 * HTTP kit's errors all do), else its message with every URL taken out. Service addresses are for
 * operators, who find them in the `tool.failed` event, the error's `details.url` and the logs.
 *
 * @example
 * ```ts
 * userFacingReason(statusError(404, { tool: 'weather', url: 'http://10.0.0.5/forecast' }, 'no such city'));
 * // 'the weather service answered HTTP 404: no such city'
 * ```
 */
export function userFacingReason(error: unknown): string {
  const given = isTributaryError(error) ? error.details?.user_message : undefined;
  const reason = typeof given === 'string' ? given : withoutUrls(errorMessage(error));
  // The message adds its own full stop.
  return reason.replace(/[.\s]+$/, '');
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
