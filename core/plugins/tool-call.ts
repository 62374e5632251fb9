import {
  catchError,
  defer,
  finalize,
  from,
  last,
  map,
  Observable,
  type MonoTypeOperatorFunction,
  of,
  race,
  retry,
  switchMap,
  tap,
  throwError,
  timeout,
  timer,
} from 'rxjs';
import type { ApprovalBook, ApprovalDecision } from '../runs/approvals.ts';
import { errorMessage, isRetryable, isTributaryError, TributaryError } from '../errors.ts';
import type { EventType, Level } from '../events/event.ts';
import type { ToolContext } from './plugin.ts';
import type { PluginRegistry, RegisteredTool } from './plugin-registry.ts';
import { MAX_TIMER_MS } from './plugin-validation.ts';
import { withinSpan } from '../operators/within-span.ts';
import { redact } from '../events/redact.ts';
import type { RunScope } from '../runs/run-scope.ts';
import { validationError } from './schema-validator.ts';
import type { SpanEnd } from '../telemetry.ts';
import { tracedFetch } from './traced-fetch.ts';
import { languageModel } from '../llm/language-model.ts';
import type { LlmSettings } from '../llm/language-model.ts';
import type { MessageSink } from '../llm/message-stream.ts';
import { nowIso } from '../uuid.ts';
import { plusUsage, type Usage } from '../sessions/session.ts';

/** What a tool call needs besides the run it happens in. */
export interface ToolCallDeps {
  readonly registry: PluginRegistry;
  readonly approvals: ApprovalBook;
  /** The `fetch` tools get (wrapped with trace headers and the call's signal); `globalThis.fetch` by default. */
  readonly fetch?: typeof fetch;
  /** The language model tools get as `ctx.llm`; without it `ctx.llm.configured` is false. */
  readonly llm?: LlmSettings;
}

type Emit = (type: EventType, level: Level, message: string, meta: Record<string, unknown>) => void;

/**
 * Calls a registered tool inside a run: validates the input before any I/O, waits for approval when the
 * tool asks for it, runs each attempt under its own timeout, span and `AbortSignal`, retries retryable
 * failures with exponential backoff, validates the output, and reports it all as `tool.*` and `approval.*` events.
 *
 * Cold: nothing happens until subscribed. Emits the validated output once, then completes; fails with a
 * {@link TributaryError} (`TOOL_NOT_FOUND`, `TOOL_INPUT_INVALID`, `TOOL_OUTPUT_INVALID`, `TOOL_TIMEOUT`,
 * `TOOL_FAILED`, `APPROVAL_REJECTED`, `APPROVAL_TIMEOUT`, or `RUN_CANCELLED` when the run's signal aborts).
 * Unsubscribing aborts the running attempt's signal, so its I/O stops. `duration_ms` in `tool.completed`
 * and `tool.failed` counts from the first attempt, so it includes retries but not a wait for approval.
 *
 * @example
 * ```ts
 * callTool<{ hits: Hit[] }>({ registry, approvals }, scope, 'rag_search', { question })
 *   .pipe(map(({ hits }) => ({ type: 'data', data: { hits } }) as const));
 * ```
 */
export function callTool<O>(
  deps: ToolCallDeps,
  scope: RunScope,
  name: string,
  input: unknown,
): Observable<O> {
  return defer(() => {
    const emit: Emit = (type, level, message, meta) =>
      scope.emit({ type, run_id: scope.run_id, tool: name, level, message, meta });
    // Shared by the attempts and the final report; `startedAt` restarts once approval is given.
    const tally: Tally = { attempt: 0, startedAt: Date.now(), usage: null, model: null };

    const work$ = defer(() => {
      const tool = deps.registry.tool(name);
      const checked = checkInput(tool, input);
      const approved$ = tool.requiresApproval
        ? awaitApproval(deps.approvals, scope, tool, checked, emit)
        : of(checked);
      return approved$.pipe(
        switchMap((approvedInput) => {
          tally.startedAt = Date.now();
          const attempt$ = defer(() => {
            tally.attempt += 1;
            return runAttempt({ deps, scope, tool, emit, attempt: tally.attempt, tally }, approvedInput);
          });
          return attempt$.pipe(retryRetryable(tool, scope, emit));
        }),
      );
    });

    // The run's signal is watched first, so a cancel wins over whatever the tool does on abort.
    return race(whenAborted(scope, name), work$).pipe(
      catchError((error: unknown) => {
        // A cancelled run reports its own `run.cancelled`; a `tool.failed` here would only be noise.
        if (scope.signal.aborted) return throwError(() => cancelled(scope, name));
        const failure = asToolError(error, name);
        emit('tool.failed', 'error', failure.message, {
          code: failure.code,
          attempt: tally.attempt,
          duration_ms: Date.now() - tally.startedAt,
          ...spent(tally),
        });
        return throwError(() => failure);
      }),
      // The output passed the tool's output schema; `O` is the caller's name for that shape.
      map((output) => output as O),
    );
  });
}

/**
 * Resubscribes after retryable failures only, with exponential backoff, saying so in a `warn` progress event.
 * `retry` rather than a hand-made loop: each resubscription is a fresh attempt with its own span and signal.
 */
function retryRetryable(
  tool: RegisteredTool,
  scope: RunScope,
  emit: Emit,
): MonoTypeOperatorFunction<unknown> {
  return retry({
    count: tool.retries,
    delay: (error: unknown, failed: number) => {
      if (!isRetryable(error) || scope.signal.aborted) return throwError(() => error);
      const wait = Math.min(tool.retryDelayMs * 2 ** (failed - 1), MAX_TIMER_MS);
      // Our TOOL_FAILED wrapper already says "<tool> failed"; quote what the tool itself said.
      const said = isTributaryError(error, 'TOOL_FAILED') && error.cause !== undefined ? error.cause : error;
      const why = `attempt ${failed} of ${tool.name} failed: ${errorMessage(said)}; retrying in ${wait} ms`;
      emit('tool.progress', 'warn', why, {
        attempt: failed,
        code: isTributaryError(error) ? error.code : 'TOOL_FAILED',
        retry_in_ms: wait,
      });
      return timer(wait);
    },
  });
}

/** What the attempts of one call add up to, for its `tool.completed` or `tool.failed`. */
interface Tally {
  attempt: number;
  /** Restarts once approval is given. */
  startedAt: number;
  /** Tokens the model counted over every attempt; null while the call used no model. */
  usage: Usage | null;
  /** The model that answered last. */
  model: string | null;
}

interface Attempt {
  deps: ToolCallDeps;
  scope: RunScope;
  tool: RegisteredTool;
  emit: Emit;
  attempt: number;
  tally: Tally;
}

/** `usage` (with the model) for a call's closing event meta, when it used the model. */
function spent({ usage, model }: Tally): { usage?: Usage; model?: string } {
  return usage === null ? {} : { usage, ...(model === null ? {} : { model }) };
}

/** One try: its own span, signal and timeout. Its signal aborts on timeout, cancel and unsubscribe. */
function runAttempt(
  { deps, scope, tool, emit, attempt, tally }: Attempt,
  input: unknown,
): Observable<unknown> {
  return defer(() => {
    const { name } = tool;
    const span = scope.telemetry.startChild(scope.span, 'tool', name, {
      'tool.name': name,
      'tool.attempt': attempt,
      'session.id': scope.session_id,
      'run.id': scope.run_id,
    });
    let ended = false;
    const endSpan = (end: SpanEnd): void => {
      if (ended) return;
      ended = true;
      span.end(end);
    };
    const controller = new AbortController();
    // The run's reason (`RUN_CANCELLED` saying why) reaches the tool and its fetch as it is.
    const followRun = (): void => controller.abort(scope.signal.reason);
    scope.signal.addEventListener('abort', followRun, { once: true });
    let live = true;
    let succeeded = false;
    let failure: TributaryError | undefined;

    // A tool that ignores its signal must not write events for an attempt that is over.
    const progress: ToolContext['progress'] = (message, meta) => {
      if (live) emit('tool.progress', 'info', message, redact(meta ?? {}));
    };
    const logger = scope.logger.child({ tool: name, attempt });
    const toolFetch = tracedFetch(scope.telemetry, span, controller.signal, deps.fetch);
    // Once the model streamed a token, a retry would say it again: no failure of this attempt is retryable.
    let streamed = false;
    const messages: MessageSink = {
      delta: (id, text) => {
        if (live) emit('message.delta', 'info', text, deltaMeta(id, text));
      },
      close: (id, pending, content, meta) =>
        scope.storeMessage(
          pending === ''
            ? []
            : [
                {
                  type: 'message.delta',
                  run_id: scope.run_id,
                  tool: name,
                  message: pending,
                  meta: deltaMeta(id, pending),
                },
              ],
          { id, role: 'assistant', content, tool: name, meta },
        ),
    };
    const ctx: ToolContext = {
      signal: controller.signal,
      session_id: scope.session_id,
      run_id: scope.run_id,
      attempt,
      progress,
      logger,
      fetch: toolFetch,
      llm: languageModel(deps.llm, {
        fetch: toolFetch,
        signal: controller.signal,
        logger,
        progress,
        onStreamed: () => {
          streamed = true;
        },
        messages,
        onUsage: ({ input_tokens, output_tokens }, model) => {
          const tokens = { tokens_in: input_tokens, tokens_out: output_tokens };
          tally.usage = plusUsage(tally.usage ?? { tokens_in: 0, tokens_out: 0 }, tokens);
          tally.model = model;
          scope.addUsage(tokens);
        },
        span: (callName, attributes) => {
          const call = scope.telemetry.startChild(span, 'llm', callName, attributes);
          return { span: call, fetch: tracedFetch(scope.telemetry, call, controller.signal, deps.fetch) };
        },
      }),
    };

    emit('tool.started', 'info', attempt === 1 ? `calling ${name}` : `calling ${name}, attempt ${attempt}`, {
      attempt,
      input: redact(input),
    });
    // In flight from here until finalize, so a cancel can list this attempt as one it stopped.
    const over = scope.toolStarted(name, attempt);
    // The tool's span is active while it runs, so its HTTP calls and log lines join it.
    return withinSpan(scope.telemetry, span, () => tool.execute(input, ctx)).pipe(
      last(null, undefined),
      timeout({
        first: tool.timeoutMs,
        with: () => {
          const error = new TributaryError(
            'TOOL_TIMEOUT',
            `timeout after ${tool.timeoutMs} ms calling ${name}`,
            {
              retryable: true,
            },
          );
          // Abort with the timeout as the reason, so the tool (and its fetch) can tell why it was stopped.
          controller.abort(error);
          return throwError(() => error);
        },
      }),
      map((output) => checkOutput(tool, output)),
      catchError((error: unknown) => throwError(() => final(asToolError(error, name), streamed))),
      tap({
        next: (output) => {
          succeeded = true;
          emit('tool.completed', 'info', `${name} done`, {
            attempt,
            duration_ms: Date.now() - tally.startedAt,
            output: redact(output),
            ...spent(tally),
          });
          endSpan({ status: 'ok' });
        },
        error: (error: TributaryError) => {
          failure = error;
          endSpan(
            scope.signal.aborted
              ? { status: 'cancelled', error: cancelled(scope, name) }
              : { status: 'error', message: error.message, error },
          );
        },
      }),
      finalize(() => {
        live = false;
        over();
        scope.signal.removeEventListener('abort', followRun);
        if (succeeded) return;
        // Teardown is the one place that stops in-flight I/O, whatever ended the attempt (no-op if already aborted).
        const reason = failure ?? cancelled(scope, name);
        controller.abort(reason);
        endSpan({ status: 'cancelled', message: reason.message, error: reason });
      }),
    );
  });
}

/** Waits for a person's decision, racing the tool's approval timeout; the book forgets the request however it ends. */
function awaitApproval(
  approvals: ApprovalBook,
  scope: RunScope,
  tool: RegisteredTool,
  input: unknown,
  emit: Emit,
): Observable<unknown> {
  return defer(() => {
    const shown = redact(input);
    const expires_at = nowIso(Date.now() + tool.approvalTimeoutMs);
    const { id, decision } = approvals.request({
      session_id: scope.session_id,
      run_id: scope.run_id,
      tool: tool.name,
      input: shown,
    });
    emit('approval.requested', 'info', `${tool.name} waits for approval`, {
      approval_id: id,
      tool: tool.name,
      input: shown,
      expires_at,
    });
    const expired$ = timer(tool.approvalTimeoutMs).pipe(
      map((): ApprovalDecision => ({ approve: false, reason: 'timeout' })),
    );
    return race(from(decision), expired$).pipe(
      tap((settled) => approvals.settle(id, settled)),
      map((settled) => {
        if (settled.approve) {
          emit('approval.resolved', 'info', `${tool.name} approved`, { approval_id: id, approved: true });
          // An approver may edit the call; the edit gets the same checks as the original.
          return settled.input === undefined ? input : checkInput(tool, settled.input);
        }
        if (settled.reason === 'cancelled') throw cancelled(scope, tool.name);
        const what = settled.reason === 'timeout' ? 'timed out waiting for approval' : 'rejected';
        emit('approval.resolved', 'warn', `${tool.name} ${what}`, {
          approval_id: id,
          approved: false,
          reason: settled.reason,
        });
        throw settled.reason === 'timeout'
          ? new TributaryError(
              'APPROVAL_TIMEOUT',
              `no decision on ${tool.name} within ${tool.approvalTimeoutMs} ms`,
            )
          : new TributaryError('APPROVAL_REJECTED', `${tool.name} was rejected`);
      }),
      // Unsubscribed (the run was cancelled or the flow moved on): the approval is no longer pending.
      finalize(() => approvals.settle(id, { approve: false, reason: 'cancelled' })),
    );
  });
}

function checkInput(tool: RegisteredTool, input: unknown): unknown {
  if (tool.validateInput(input)) return input;
  throw validationError(
    'TOOL_INPUT_INVALID',
    tool.validateInput.errors,
    'input',
    `invalid input for ${tool.name}`,
  );
}

function checkOutput(tool: RegisteredTool, output: unknown): unknown {
  if (tool.validateOutput(output)) return output;
  throw validationError(
    'TOOL_OUTPUT_INVALID',
    tool.validateOutput.errors,
    'output',
    `${tool.name} returned invalid output`,
  );
}

/** Catalog errors stay as they are; anything else becomes `TOOL_FAILED`, still retryable if it said so. */
function asToolError(error: unknown, name: string): TributaryError {
  if (error instanceof TributaryError) return error;
  return new TributaryError('TOOL_FAILED', `${name} failed: ${errorMessage(error)}`, {
    retryable: isRetryable(error),
    cause: error,
  });
}

/** A `message.delta`'s meta: which message it is a piece of, and the piece. */
function deltaMeta(messageId: string, text: string): Record<string, unknown> {
  return { message_id: messageId, text, role: 'assistant' };
}

/** The error as it is, or a copy that is not retryable once tokens were streamed. */
function final(error: TributaryError, streamed: boolean): TributaryError {
  if (!streamed || !error.retryable) return error;
  return new TributaryError(error.code, error.message, {
    ...(error.field === undefined ? {} : { field: error.field }),
    ...(error.details === undefined ? {} : { details: error.details }),
    cause: error.cause ?? error,
  });
}

/** The error a cancelled call ends with: the run's own reason when it is one, else a fresh `RUN_CANCELLED`. */
function cancelled(scope: RunScope, name: string): TributaryError {
  const reason: unknown = scope.signal.reason;
  if (!scope.signal.aborted) return new TributaryError('RUN_CANCELLED', `call to ${name} was cancelled`);
  if (isTributaryError(reason, 'RUN_CANCELLED')) return reason;
  return new TributaryError('RUN_CANCELLED', `run ${scope.run_id} was cancelled`, { cause: reason });
}

/** Never emits; fails with `RUN_CANCELLED` as soon as the run's signal aborts (at once if it already has). */
function whenAborted(scope: RunScope, name: string): Observable<never> {
  return new Observable<never>((subscriber) => {
    const fail = (): void => subscriber.error(cancelled(scope, name));
    if (scope.signal.aborted) {
      fail();
      return undefined;
    }
    scope.signal.addEventListener('abort', fail, { once: true });
    return () => scope.signal.removeEventListener('abort', fail);
  });
}
