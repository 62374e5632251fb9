import type { Logger } from '../logger.ts';
import type { Observable, ObservableInput } from 'rxjs';
import type { Level } from '../events/event.ts';
import type { MessageRole } from '../events/message.ts';
import type { Checkpoint } from '../checkpoints/checkpoint.ts';
import type { LanguageModel } from '../llm/language-model.ts';

/** A JSON Schema (2020-12) object; TypeBox schemas fit as they are. */
export type JsonSchema = Record<string, unknown>;

/** What a tool's `execute` gets besides its input. */
export interface ToolContext {
  /**
   * Aborted when the run is cancelled or the call times out: pass it to every I/O call. On a cancel
   * its `reason` is a `RUN_CANCELLED` error saying why ("cancelled by request", …).
   */
  readonly signal: AbortSignal;
  readonly session_id: string;
  readonly run_id: string;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
  /** Emits a `tool.progress` event for this call. */
  progress(message: string, meta?: Record<string, unknown>): void;
  readonly logger: Logger;
  /** `fetch` that carries the trace context of this call and honours `signal`. */
  readonly fetch: typeof fetch;
  /**
   * The language model behind `LLM_URL` (OpenAI-compatible chat completions, streamed), bound to this call's
   * `fetch` and signal: `await ctx.llm.chat({ messages }, { onDelta })`. See docs/plugins.md.
   */
  readonly llm: LanguageModel;
}

/**
 * A tool: a plain object made by {@link defineTool}.
 * `execute` returns an Observable, a Promise or an AsyncIterable; its last value is the output.
 */
export interface ToolDefinition<I = unknown, O = unknown> {
  readonly kind: 'tool';
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly input: JsonSchema;
  readonly output: JsonSchema;
  /** Per attempt; the call fails with TOOL_TIMEOUT past it. Default 30 000. */
  readonly timeoutMs?: number;
  /** Extra attempts for retryable failures only (network errors, 5xx, timeouts). Default 0. */
  readonly retries?: number;
  /** Base of the exponential backoff between attempts. Default 200. */
  readonly retryDelayMs?: number;
  /** Pause the run with `approval.requested` until a person approves or rejects the call. */
  readonly requiresApproval?: boolean;
  /** How long an approval may wait before the call fails with APPROVAL_TIMEOUT. Default 300 000. */
  readonly approvalTimeoutMs?: number;
  /** Names of tools this one needs registered. */
  readonly dependencies?: readonly string[];
  execute(input: I, ctx: ToolContext): ObservableInput<O>;
}

/** What a flow's stream may emit; the core turns each into events and stored state. */
export type FlowEmission =
  | { type: 'step'; step: string; message?: string; level?: Level; meta?: Record<string, unknown> }
  | { type: 'progress'; message: string; step?: string; level?: Level; meta?: Record<string, unknown> }
  | { type: 'message'; role: MessageRole; content: string; tool?: string; meta?: Record<string, unknown> }
  /** Merges keys into the session's `data`. */
  | { type: 'data'; data: Record<string, unknown> }
  /** The run's result; the last one emitted wins. */
  | { type: 'result'; result: unknown };

export interface FlowContext {
  readonly signal: AbortSignal;
  readonly session_id: string;
  readonly run_id: string;
  /** The session's `data` when the run started. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  /**
   * Calls a registered tool: validates input and output, applies timeout, retries and approval,
   * and emits `tool.*` events. Cold: nothing happens until subscribed; emits the output once.
   */
  callTool<O = unknown>(name: string, input: unknown): Observable<O>;
  /** Saves a checkpoint of the flow's state (encrypted at rest when a key is set). */
  checkpoint(state: Record<string, unknown>, label?: string): Promise<Checkpoint>;
}

/**
 * A flow: turns a run's input into a stream of {@link FlowEmission}s, calling tools on the way.
 */
export interface FlowDefinition<I = unknown> {
  readonly kind: 'flow';
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly input: JsonSchema;
  /** Tools the flow calls; registration fails when one is missing. */
  readonly tools?: readonly string[];
  execute(input: I, ctx: FlowContext): ObservableInput<FlowEmission>;
}

export type Plugin = ToolDefinition<never, unknown> | FlowDefinition<never>;

/**
 * Makes a tool. The object is checked and its schemas compiled when it is registered.
 *
 * @example
 * ```ts
 * export default defineTool<{ text: string }, { upper: string }>({
 *   name: 'shout', version: '1.0.0', description: 'Upper-cases text',
 *   input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
 *   output: { type: 'object', properties: { upper: { type: 'string' } }, required: ['upper'] },
 *   async execute({ text }) { return { upper: text.toUpperCase() }; },
 * });
 * ```
 */
export function defineTool<I = unknown, O = unknown>(
  definition: Omit<ToolDefinition<I, O>, 'kind'>,
): ToolDefinition<I, O> {
  return Object.freeze({ ...definition, kind: 'tool' as const });
}

/**
 * Makes a flow.
 *
 * @example
 * ```ts
 * export default defineFlow<{ question: string }>({
 *   name: 'echo', version: '1.0.0', description: 'Says the question back', tools: ['shout'],
 *   input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
 *   execute: (input, ctx) => ctx.callTool<{ upper: string }>('shout', { text: input.question }).pipe(
 *     map((out) => ({ type: 'message', role: 'assistant', content: out.upper }) as const),
 *   ),
 * });
 * ```
 */
export function defineFlow<I = unknown>(definition: Omit<FlowDefinition<I>, 'kind'>): FlowDefinition<I> {
  return Object.freeze({ ...definition, kind: 'flow' as const });
}
