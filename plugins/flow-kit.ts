import { lastValueFrom } from 'rxjs';
import { errorMessage, isTributaryError, type FlowContext, type FlowEmission } from '../core/index.ts';

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
