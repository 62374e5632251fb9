import type { Logger } from '../logger.ts';
import { errorMessage, isTributaryError, TributaryError } from '../errors.ts';
import type { Span, SpanAttributes } from '../telemetry.ts';
import { newId } from '../uuid.ts';
import { MessageStream, type IncompleteReason, type MessageSink } from './message-stream.ts';
import { requestAttributes, responseAttributes } from './genai-attributes.ts';
import { pause } from '../pause.ts';
import { redactUrl } from '../redact-url.ts';
import { REDACTED } from '../events/redact.ts';
import { llmError, retryAfterMs, statusUserMessage } from './llm-errors.ts';
import { sseData } from './sse-data.ts';
import { MAX_TIMER_MS } from '../plugins/plugin-validation.ts';

/** Where the model is: from `LLM_URL`, `LLM_MODEL` and `LLM_API_KEY`. */
export interface LlmSettings {
  /** The full chat completions endpoint, e.g. `http://127.0.0.1:8000/v1/chat/completions`. */
  readonly url: string;
  /** The model asked for when a request names none. */
  readonly model?: string;
  /** Sent as `Authorization: Bearer <key>`; never logged, shown or put in an error. */
  readonly apiKey?: string;
  /** Extra tries after a 429, a 5xx or a connection failure, before any token. Default 2. */
  readonly retries?: number;
  /** The longest `Retry-After` the kit waits; a longer one fails the call at once. Default 30 000. */
  readonly maxRetryAfterMs?: number;
  /** Wait before a retry when the server gives no `Retry-After`; doubled each time. Default 500. */
  readonly retryDelayMs?: number;
  /**
   * Record prompts and completions on the model call's span (`LLM_RECORD_CONTENT`), redacted. Default
   * false: spans then carry the model, finish reason and token counts only.
   */
  readonly recordContent?: boolean;
}

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly content: string;
}

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  /** Default: the configured `LLM_MODEL`. */
  readonly model?: string;
  readonly temperature?: number;
  readonly max_tokens?: number;
  /** `{ type: 'json_object' }` for JSON mode. */
  readonly response_format?: Record<string, unknown>;
}

/** Tokens counted by the server (`usage` of the last chunk, asked for with `stream_options.include_usage`). */
export interface ChatUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
}

export interface ChatCompletion {
  /** The whole answer: every delta joined. */
  readonly text: string;
  /** `stop`, `length`, `content_filter`, … as the server said. */
  readonly finish_reason: string;
  /** Absent when the server does not report usage. */
  readonly usage?: ChatUsage;
  readonly model: string;
}

export interface ChatOptions {
  /** Called with each piece of text as it streams in, in order; the pieces join into `text`. */
  onDelta?(text: string): void;
  /**
   * Streams the answer to the session's clients as it comes: `message.delta` events (coalesced, see
   * {@link MessageStream}), then one assistant `message` with the whole text, stored like any message.
   * Cut short (cancel, timeout, a failed stream), the text so far is the message, with
   * `meta.incomplete: true`. The tool then returns the text without emitting it again.
   */
  stream?: boolean;
  /**
   * The longest this call may take, retries included: past it the request is aborted and the call fails
   * with `TOOL_TIMEOUT`, while the tool goes on (a planner falling back to its rules, say). Without it
   * the call is bounded by the tool's own `timeoutMs` only.
   */
  timeoutMs?: number;
}

/** The language model as a tool sees it (`ctx.llm`). */
export interface LanguageModel {
  /** False when `LLM_URL` is unset: `chat` would fail. Lets a tool fall back to something else. */
  readonly configured: boolean;
  /**
   * Streams one chat completion. Resolves with the text, finish reason and usage; rejects with a
   * `TOOL_FAILED` error whose `details.user_message` says what went wrong, or with the tool's abort
   * reason (timeout, cancel).
   */
  chat(request: ChatRequest, options?: ChatOptions): Promise<ChatCompletion>;
}

/** What the kit borrows from the tool call it serves. */
export interface LanguageModelContext {
  /** The tool's `fetch` (trace context, the call's signal). */
  readonly fetch: typeof fetch;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  progress(message: string, meta?: Record<string, unknown>): void;
  /** Told once the first token came: from then on nothing may retry the call (it would repeat tokens). */
  onStreamed?(): void;
  /** Where `stream: true` writes; without it a streamed answer reaches `onDelta` only. */
  readonly messages?: MessageSink;
  /** Told the tokens of each call the server counted, to add them to the run's and the session's usage. */
  onUsage?(usage: ChatUsage, model: string): void;
  /**
   * Opens the span of one model call under the tool's span, with a `fetch` whose requests are its
   * children. Absent: no span, and requests go through `fetch`.
   */
  span?(name: string, attributes: SpanAttributes): { readonly span: Span; readonly fetch: typeof fetch };
}

/** Statuses worth another try: rate limited, or the server failed before it said anything. */
const RETRY_STATUSES = (status: number): boolean => status === 429 || status >= 500;
/** How much of an error body goes into a message. */
const SNIPPET = 300;

/**
 * The language model kit for OpenAI-compatible chat completions: streams (`stream: true`, with usage),
 * authenticates with the API key, retries 429 and 5xx answers (and failed connections) before any token
 * came, after `Retry-After` when the server gives one, and never after a token came. Errors are never
 * retryable by the tool-call machinery, which would repeat streamed tokens.
 *
 * @example
 * ```ts
 * const llm = languageModel({ url: 'http://127.0.0.1:8000/v1/chat/completions', model: 'llama3' }, ctx);
 * const { text, usage } = await llm.chat({ messages: [{ role: 'user', content: 'Hi' }] }, { onDelta: print });
 * ```
 */
export function languageModel(settings: LlmSettings | undefined, ctx: LanguageModelContext): LanguageModel {
  if (settings === undefined) {
    return {
      configured: false,
      chat: () =>
        Promise.reject(
          llmError('LLM_URL is not set', 'no language model is configured on this server', {
            setting: 'LLM_URL',
          }),
        ),
    };
  }
  return { configured: true, chat: (request, options) => chat(settings, ctx, request, options ?? {}) };
}

/** One model call: its span, its streamed message and its usage around {@link complete}. */
async function chat(
  settings: LlmSettings,
  ctx: LanguageModelContext,
  request: ChatRequest,
  options: ChatOptions,
): Promise<ChatCompletion> {
  const model = request.model ?? settings.model;
  if (model === undefined || model === '') {
    throw llmError('no model: set LLM_MODEL or name one in the request', 'no language model is configured', {
      setting: 'LLM_MODEL',
    });
  }
  const deadline = options.timeoutMs === undefined ? undefined : callDeadline(options.timeoutMs);
  const signal = deadline === undefined ? ctx.signal : AbortSignal.any([ctx.signal, deadline.signal]);
  const traced = ctx.span?.(`chat ${model}`, requestAttributes(settings, request, model));
  const stream = options.stream && ctx.messages ? new MessageStream(newId(), ctx.messages) : undefined;
  // Synchronously on abort: a cancel's `run.cancelled` is queued right after, and the text so far goes first.
  const abandon = (): void => stream?.abandon(incompleteReason(signal.reason));
  signal.addEventListener('abort', abandon, { once: true });
  const onDelta =
    stream === undefined
      ? options.onDelta
      : (text: string) => {
          stream.push(text);
          options.onDelta?.(text);
        };
  try {
    const completion = await complete(
      settings,
      { ...ctx, signal, fetch: traced?.fetch ?? ctx.fetch },
      request,
      model,
      onDelta,
    );
    const { usage } = completion;
    stream?.complete({
      model: completion.model,
      finish_reason: completion.finish_reason,
      ...(usage === undefined
        ? {}
        : { usage: { tokens_in: usage.input_tokens, tokens_out: usage.output_tokens } }),
    });
    if (usage !== undefined) ctx.onUsage?.(usage, completion.model);
    traced?.span.setAttributes(responseAttributes(settings, completion));
    traced?.span.end({ status: 'ok' });
    return completion;
  } catch (error) {
    const aborted = signal.aborted;
    if (aborted) abandon();
    else stream?.abandon('failed');
    traced?.span.end(
      aborted && isTributaryError(signal.reason, 'RUN_CANCELLED')
        ? { status: 'cancelled', error: signal.reason }
        : { status: 'error', error },
    );
    throw error;
  } finally {
    signal.removeEventListener('abort', abandon);
    deadline?.clear();
  }
}

/** Aborts its signal with `TOOL_TIMEOUT` after `ms` (a call's own `timeoutMs`), unless cleared first. */
function callDeadline(ms: number): { signal: AbortSignal; clear(): void } {
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_TIMER_MS) {
    throw new TributaryError('INVALID_ARGUMENT', `timeoutMs must be an integer from 1 to ${MAX_TIMER_MS}`, {
      field: 'options.timeoutMs',
    });
  }
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new TributaryError('TOOL_TIMEOUT', `the language model did not answer within ${ms} ms`, {
          details: { user_message: 'the language model took too long to answer' },
        }),
      ),
    ms,
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** What an abort reason makes of a streamed message cut short. */
function incompleteReason(reason: unknown): IncompleteReason {
  if (isTributaryError(reason, 'RUN_CANCELLED')) return 'cancelled';
  if (isTributaryError(reason, 'TOOL_TIMEOUT')) return 'timeout';
  return 'failed';
}

/** Sends the request (trying again while that is safe) and reads the answer's stream to its end. */
async function complete(
  settings: LlmSettings,
  ctx: LanguageModelContext,
  request: ChatRequest,
  model: string,
  onDelta: ((text: string) => void) | undefined,
): Promise<ChatCompletion> {
  const where = redactUrl(settings.url);
  const scrub = scrubber(settings.apiKey);
  const retries = settings.retries ?? 2;
  const body = JSON.stringify({ ...request, model, stream: true, stream_options: { include_usage: true } });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
  };
  if (settings.apiKey !== undefined) headers.authorization = `Bearer ${settings.apiKey}`;

  for (let attempt = 1; ; attempt += 1) {
    let response: Response;
    try {
      response = await ctx.fetch(settings.url, { method: 'POST', headers, body, signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const reason = scrub(errorMessage(error));
      if (attempt > retries) {
        throw llmError(
          `connection failed to ${where}: ${reason}`,
          'the language model could not be reached',
          { url: where },
          error,
        );
      }
      await retryAfter(ctx, settings, attempt, `connection failed: ${reason}`, undefined);
      continue;
    }
    if (response.ok) return await readStream(response, { ctx, model, where, scrub, onDelta });

    const snippet = await bodySnippet(response, scrub);
    const said = `HTTP ${response.status} from ${where}${snippet === '' ? '' : `: ${snippet}`}`;
    const details = { url: where, status: response.status };
    if (!RETRY_STATUSES(response.status) || attempt > retries) {
      throw llmError(said, statusUserMessage(response.status), details);
    }
    const wait = retryAfterMs(response.headers.get('retry-after'));
    const longest = settings.maxRetryAfterMs ?? 30_000;
    if (wait !== undefined && wait > longest) {
      throw llmError(
        `${said}; Retry-After ${wait} ms is more than the ${longest} ms the kit waits`,
        statusUserMessage(response.status),
        details,
      );
    }
    await retryAfter(ctx, settings, attempt, said, wait);
  }
}

/** Says why and waits before the next try: `Retry-After` when given, else a doubling delay. */
async function retryAfter(
  ctx: LanguageModelContext,
  settings: LlmSettings,
  attempt: number,
  why: string,
  given: number | undefined,
): Promise<void> {
  const wait = given ?? (settings.retryDelayMs ?? 500) * 2 ** (attempt - 1);
  const meta = { attempt, retry_in_ms: wait };
  ctx.logger.warn(meta, `language model: ${why}; retrying in ${wait} ms`);
  ctx.progress(`the language model is busy; retrying in ${wait} ms`, meta);
  await pause(wait, ctx.signal);
  if (ctx.signal.aborted) throw ctx.signal.reason;
}

interface StreamRead {
  ctx: LanguageModelContext;
  model: string;
  where: string;
  scrub: (text: string) => string;
  onDelta: ((text: string) => void) | undefined;
}

/** Reads the SSE stream to its end; any failure here is final (tokens may already be out). */
async function readStream(response: Response, read: StreamRead): Promise<ChatCompletion> {
  const { ctx, where, scrub, onDelta } = read;
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/event-stream') || response.body === null) {
    await response.body?.cancel();
    throw llmError(
      `expected text/event-stream from ${where}, got ${JSON.stringify(type)}`,
      'the language model answered in an unexpected format',
      { url: where },
    );
  }
  const pieces: string[] = [];
  let finish: string | undefined;
  let usage: ChatUsage | undefined;
  let model = read.model;
  const malformed = (why: string): Error =>
    llmError(`malformed stream from ${where}: ${why}`, 'the language model sent a malformed answer', {
      url: where,
    });
  try {
    for await (const data of sseData(response.body)) {
      if (data === '[DONE]') break;
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch {
        throw malformed(`not JSON: ${JSON.stringify(scrub(data).slice(0, 80))}`);
      }
      if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk))
        throw malformed('not an object');
      const { choices, error, usage: counted, model: named } = chunk as Record<string, unknown>;
      if (error !== undefined) {
        const message = scrub(errorMessage((error as { message?: unknown }).message ?? error));
        throw llmError(
          `error in the stream from ${where}: ${message}`,
          'the language model failed while answering',
          {
            url: where,
          },
        );
      }
      if (typeof named === 'string' && named !== '') model = named;
      usage = readUsage(counted) ?? usage;
      const choice = Array.isArray(choices) ? (choices[0] as Record<string, unknown> | undefined) : undefined;
      if (choices !== undefined && !Array.isArray(choices)) throw malformed('choices is not an array');
      const content = (choice?.delta as { content?: unknown } | undefined)?.content;
      if (typeof content === 'string' && content !== '') {
        if (pieces.length === 0) ctx.onStreamed?.();
        pieces.push(content);
        try {
          onDelta?.(content);
        } catch (error) {
          // The tool's own failure, not the stream's: it reaches the tool as it was thrown.
          throw new FromDelta(error);
        }
      }
      if (typeof choice?.finish_reason === 'string') finish = choice.finish_reason;
    }
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (error instanceof FromDelta) throw error.thrown;
    if (error instanceof TributaryError) throw error;
    const streamed = pieces.join('').length;
    throw llmError(
      `stream from ${where} broke after ${streamed} characters: ${scrub(errorMessage(error))}`,
      'the language model stopped in the middle of its answer',
      { url: where, streamed_chars: streamed },
      error,
    );
  }
  const text = pieces.join('');
  if (finish === undefined) {
    throw llmError(
      `stream from ${where} ended before a finish_reason, after ${text.length} characters`,
      'the language model stopped in the middle of its answer',
      { url: where, streamed_chars: text.length },
    );
  }
  if (text === '') {
    throw llmError(
      `empty completion from ${where} (finish_reason ${finish})`,
      'the language model returned an empty answer',
      { url: where, finish_reason: finish },
    );
  }
  return { text, finish_reason: finish, model, ...(usage === undefined ? {} : { usage }) };
}

/** Carries what `onDelta` threw past the stream's own error handling. */
class FromDelta {
  constructor(readonly thrown: unknown) {}
}

function readUsage(value: unknown): ChatUsage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { prompt_tokens, completion_tokens } = value as Record<string, unknown>;
  if (typeof prompt_tokens !== 'number' || typeof completion_tokens !== 'number') return undefined;
  return { input_tokens: prompt_tokens, output_tokens: completion_tokens };
}

/** A short, one-line excerpt of an error body (servers put the reason there). */
async function bodySnippet(response: Response, scrub: (text: string) => string): Promise<string> {
  try {
    // Scrubbed before it is cut, so no part of the key survives the cut.
    const text = scrub(await response.text());
    return text.replace(/\s+/g, ' ').trim().slice(0, SNIPPET);
  } catch {
    return '';
  }
}

/** Removes the API key from text a server sent back (some echo it: "Incorrect API key provided: sk-…"). */
function scrubber(apiKey: string | undefined): (text: string) => string {
  if (apiKey === undefined || apiKey === '') return (text) => text;
  return (text) => text.split(apiKey).join(REDACTED);
}
