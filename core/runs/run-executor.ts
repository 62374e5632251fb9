import type { LlmSettings } from '../llm/language-model.ts';
import type { Logger } from '../logger.ts';
import { concat, defer, filter, finalize, ignoreElements, merge, tap, type Observable } from 'rxjs';
import type { Checkpoints } from '../checkpoints/checkpoints.ts';
import { isTributaryError, TributaryError } from '../errors.ts';
import type { EventDraft, SessionEvent } from '../events/event.ts';
import type { EventLog } from '../events/event-log.ts';
import type { Message } from '../events/message.ts';
import type { RunEnd } from '../operators/until-cancelled.ts';
import { withinSpan } from '../operators/within-span.ts';
import type { FlowContext, FlowEmission } from '../plugins/plugin.ts';
import type { PluginRegistry } from '../plugins/plugin-registry.ts';
import { callTool } from '../plugins/tool-call.ts';
import { touch, type SessionPolicy } from '../sessions/session-policy.ts';
import { plusUsage, type Session } from '../sessions/session.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { SpanEnd, Telemetry } from '../telemetry.ts';
import { newId, nowIso } from '../uuid.ts';
import type { WebhookDeliveries } from '../webhooks/webhook-deliveries.ts';
import type { ApprovalBook } from './approvals.ts';
import { flowRecord } from './flow-events.ts';
import { InFlightToolCalls } from './in-flight-tool-calls.ts';
import type { LiveRun, LiveRuns } from './live-runs.ts';
import { isFinished, type Run } from './run.ts';
import { runOutcome } from './run-outcome.ts';
import type { QueueReason } from './run-scheduler.ts';
import type { RunScope } from './run-scope.ts';
import { pause } from '../pause.ts';

export interface RunExecutorDeps {
  readonly log: EventLog;
  /**
   * `getRun`: read before a terminal write is tried again (was the last try applied after all?).
   * `shared`: whether other processes write the same runs (see {@link RunExecutor}'s `commit`).
   */
  readonly store: Pick<SessionStore, 'getRun' | 'shared'>;
  readonly checkpoints: Checkpoints;
  readonly registry: PluginRegistry;
  readonly approvals: ApprovalBook;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly policy: SessionPolicy;
  /** The fetch tools get (wrapped with trace headers and the run's signal). */
  readonly fetch?: typeof fetch;
  /** The language model tools get as `ctx.llm` (LLM_URL, LLM_MODEL, LLM_API_KEY); unset: none. */
  readonly llm?: LlmSettings;
  /** Delivers the completion webhook of a run that has one, once its terminal event is stored. */
  readonly webhooks?: Pick<WebhookDeliveries, 'deliver'>;
}

/**
 * How a terminal write the store refused (`STORE_UNAVAILABLE`) is tried again: after `firstMs`, then
 * twice as long each time up to `maxMs` (the `Retry-After` the gateway answers while the store is down).
 */
export const TERMINAL_RETRY = { firstMs: 100, maxMs: 5_000 } as const;

/** State stored with a run's events in one commit. */
interface WriteExtra {
  messages?: Message[];
  data?: Record<string, unknown>;
  sessionChange?: 'start' | 'end';
}

/**
 * Executes runs: answers the scheduler's callbacks (queued, started, work, ended) by running the flow
 * with its context and spans, and writing what happens as events through the log. A failed store write
 * fails the run (`storeFailure$`). The terminal write is never dropped because the store is down: it
 * is tried again ({@link TERMINAL_RETRY}) until the store takes it or {@link RunExecutor.stopRetrying}.
 *
 * @example
 * ```ts
 * const executor = new RunExecutor(deps, live);
 * new RunScheduler({ limit, work: (job, signal) => executor.work(live.get(job.id), signal), onEnded: … });
 * ```
 */
export class RunExecutor {
  /** Aborted by shutdown: terminal writes stop waiting for the store. */
  private readonly stopping = new AbortController();
  /** Runs whose terminal write has not settled yet (it may be waiting for the store to come back). */
  private readonly ending = new Set<LiveRun>();

  constructor(
    private readonly deps: RunExecutorDeps,
    private readonly live: LiveRuns,
  ) {}

  /** Queues a write of the run; a failed write fails the run (the store threw mid-run). */
  write(liveRun: LiveRun, events: EventDraft[], extra: WriteExtra = {}): Promise<void> {
    const { run } = liveRun;
    const written = this.commit(liveRun, events, extra).then(
      () => undefined,
      (error: unknown) => {
        if (liveRun.withdrawn) return;
        this.deps.logger.error(
          { err: error, session_id: run.session_id, run_id: run.id },
          'store write failed for run',
        );
        // The store's own message names hosts or files: it stays in the log, as over HTTP.
        liveRun.storeFailure$.error(
          new TributaryError('STORE_UNAVAILABLE', 'store write failed: the session store did not answer', {
            cause: error,
          }),
        );
      },
    );
    liveRun.lastWrite = written;
    return written;
  }

  /**
   * Shutdown: terminal writes waiting for the store make one more try (at once) and give up if it
   * fails; the run then stays `running` in the store (recovered at the next start, unless the store
   * is shared). Resolves when every terminal write has settled.
   */
  async stopRetrying(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...this.ending].map((liveRun) => liveRun.done));
  }

  /** The run's state and these events as one commit; rejects with the store's error. */
  private commit(liveRun: LiveRun, events: EventDraft[], extra: WriteExtra): Promise<SessionEvent[]> {
    const { run, session } = liveRun;
    // Checked right before the store write: a write queued before the create failed is dropped here.
    const check = () => {
      if (liveRun.withdrawn) throw withdrawnError(run.id);
    };
    // Tokens counted since the last write go to the session with this one (taken now: a later write
    // must not add them again).
    const usage = liveRun.unsavedUsage;
    liveRun.unsavedUsage = null;
    // Most writes (a step's events) change nothing on the session: without a patch function the
    // log need not read the session first, a store round trip fewer per write.
    const changesSession = extra.sessionChange !== undefined || extra.data !== undefined || usage !== null;
    // The run's record goes with a write only when it changed since the last one (most events leave
    // it as it was: writing it again was a row update per event). On a shared store it goes with
    // every write: there a batch carrying a run another process has ended is skipped whole, which
    // keeps a worker presumed lost from writing after the run's terminal event.
    const carryRun =
      this.deps.store.shared || extra.sessionChange !== undefined || !sameFields(run, liveRun.written);
    return this.deps.log.commit({
      session_id: run.session_id,
      trace_id: session.trace_id,
      runs: carryRun ? [(liveRun.written = { ...run })] : undefined,
      messages: extra.messages,
      check,
      patch: !changesSession
        ? undefined
        : (current) => {
            const change = this.sessionPatch(run, current, extra);
            return usage === null ? change : { ...change, usage: plusUsage(current.usage, usage) };
          },
      // A run started again after its worker was lost says which execution each event belongs to.
      events: events.map((draft) =>
        liveRun.attempt > 1
          ? { run_id: run.id, ...draft, meta: { ...draft.meta, run_attempt: liveRun.attempt } }
          : { run_id: run.id, ...draft },
      ),
    });
  }

  /** What a write changes on the session besides usage: the active run, the last activity, data. */
  private sessionPatch(run: Run, current: Session, extra: WriteExtra): Partial<Session> {
    if (extra.sessionChange === 'start') return touch(this.deps.policy, current, { active_run_id: run.id });
    if (extra.sessionChange === 'end') {
      return touch(this.deps.policy, current, {
        active_run_id: current.active_run_id === run.id ? null : current.active_run_id,
      });
    }
    return extra.data ? { data: { ...current.data, ...extra.data }, updated_at: nowIso() } : {};
  }

  queued(liveRun: LiveRun, position: number, reason: QueueReason): void {
    void this.write(liveRun, [queuedEvent(position, reason)]);
  }

  /**
   * A worker shutting down hands the run back to the cluster's queue: its spans end, it is stored
   * `queued` again with a `run.queued` (`reason: requeued`), and another worker starts it from the beginning.
   */
  handedBack(liveRun: LiveRun): void {
    const { run } = liveRun;
    this.live.end(liveRun);
    this.endStep(liveRun, { status: 'error', message: 'handed back' });
    liveRun.span?.end({ status: 'error', message: 'the worker shut down: the run was handed back' });
    run.status = 'queued';
    run.started_at = null;
    void this.write(liveRun, [queuedEvent(1, 'requeued')], { sessionChange: 'end' }).finally(() =>
      liveRun.finish(),
    );
  }

  started(liveRun: LiveRun): void {
    const { run, session } = liveRun;
    run.status = 'running';
    run.started_at = nowIso();
    const created = Date.parse(run.created_at);
    const waitMs = Date.parse(run.started_at) - created;
    liveRun.span = this.deps.telemetry.startRun(
      { traceId: session.trace_id, parent: session.trace_parent },
      `run ${run.flow}`,
      { 'session.id': run.session_id, 'run.id': run.id, flow: run.flow, 'run.queue_wait_ms': waitMs },
      liveRun.traceparent,
    );
    // The wait for a slot (and, in a cluster, for a worker) is a span of its own under the run.
    this.deps.telemetry
      .startChild(liveRun.span, 'queue', 'wait', { 'session.id': run.session_id, 'run.id': run.id }, created)
      .end({ status: 'ok' });
    void this.write(
      liveRun,
      [
        {
          type: 'run.started',
          message: `run started (${run.flow})`,
          meta: { flow: run.flow, queue_wait_ms: waitMs },
        },
      ],
      { sessionChange: 'start' },
    );
  }

  /** The run's work: its flow, run inside the run's span with its context, and every write it queued. */
  work(liveRun: LiveRun, signal: AbortSignal): Observable<unknown> {
    const { run, session } = liveRun;
    // `trace_id` ties every line of the run to the session's trace, also lines logged outside an active span.
    const logger = this.deps.logger.child({
      session_id: run.session_id,
      run_id: run.id,
      trace_id: session.trace_id ?? undefined,
    });
    const span = liveRun.span;
    if (!span) throw new TributaryError('RUN_NOT_FOUND', `run ${run.id} has not started`);
    // Made before the flow starts, so it watches the signal before any tool call does (see its docs).
    const toolCalls = (liveRun.toolCalls = new InFlightToolCalls(signal));
    const scope: RunScope = {
      session_id: run.session_id,
      run_id: run.id,
      signal,
      logger,
      telemetry: this.deps.telemetry,
      span,
      // After the abort the run is ending: what tools say while they stop is not part of its story.
      emit: (draft) => {
        if (!liveRun.ended && !signal.aborted) void this.write(liveRun, [draft]);
      },
      toolStarted: (tool, attempt) => toolCalls.start(tool, attempt),
      storeMessage: (before, message) => {
        if (liveRun.ended) return;
        const record = flowRecord(
          {
            type: 'message',
            role: message.role,
            content: message.content,
            tool: message.tool,
            meta: message.meta,
          },
          { session_id: run.session_id, run_id: run.id, stamp: () => ({ id: message.id, ts: nowIso() }) },
        );
        void this.write(liveRun, [...before, ...record.events], { messages: record.messages });
      },
      addUsage: (usage) => {
        if (liveRun.ended) return;
        run.usage = plusUsage(run.usage, usage);
        liveRun.unsavedUsage = plusUsage(liveRun.unsavedUsage ?? { tokens_in: 0, tokens_out: 0 }, usage);
      },
    };
    const context: FlowContext = {
      signal,
      session_id: run.session_id,
      run_id: run.id,
      data: session.data,
      logger,
      callTool: <O>(name: string, input: unknown) =>
        callTool<O>(
          {
            registry: this.deps.registry,
            approvals: this.deps.approvals,
            fetch: this.deps.fetch,
            llm: this.deps.llm,
          },
          scope,
          name,
          input,
        ),
      checkpoint: (state, label) =>
        this.deps.checkpoints.save(run.session_id, state, { run_id: run.id, label: label ?? null }),
    };
    const flow = this.deps.registry.flow(run.flow);
    // The run's span is active while the flow runs, so whatever it starts (tools, HTTP, logs) joins the run.
    const flow$ = withinSpan(this.deps.telemetry, span, () => flow.execute(run.input, context)).pipe(
      // A cancel aborts the signal before it unsubscribes the flow: what the flow emits in between
      // (its reaction to the abort, such as a `tool_error` step) is not recorded.
      filter(() => !signal.aborted),
      tap((emission) => this.record(liveRun, emission)),
    );
    // The run is done when the flow is and everything it emitted is stored; a failed write errors
    // `storeFailure$` first, which fails the run even while the flow is still going.
    const stored$ = defer(() => liveRun.lastWrite);
    return merge(
      concat(flow$, stored$).pipe(finalize(() => liveRun.storeFailure$.complete())),
      liveRun.storeFailure$,
    ).pipe(ignoreElements());
  }

  /** Ends the run: its terminal state, spans and event, queued after every event it emitted. */
  ended(liveRun: LiveRun, end: RunEnd): void {
    const { run } = liveRun;
    this.live.end(liveRun);
    if (liveRun.withdrawn) {
      liveRun.span?.end({ status: 'error', message: 'the run could not be stored' });
      liveRun.finish();
      return;
    }
    const finishedAt = Date.now();
    run.finished_at = nowIso(finishedAt);
    run.duration_ms = run.started_at ? finishedAt - Date.parse(run.started_at) : 0;
    const outcome = runOutcome(end, {
      duration_ms: run.duration_ms,
      aborted_tool_calls: liveRun.toolCalls?.aborted ?? [],
    });
    run.status = outcome.status;
    if (outcome.error) run.error = outcome.error;
    this.endStep(liveRun, outcome.step);
    liveRun.span?.end(outcome.span);
    // Written through the session's queue, so it lands after every event the run emitted before it ended.
    this.ending.add(liveRun);
    const terminal = this.writeTerminal(liveRun, outcome.event);
    liveRun.lastWrite = terminal.then(() => undefined);
    void terminal.then((stored) => {
      this.ending.delete(liveRun);
      liveRun.finish();
      // After the run ended for everyone: its webhook never delays it (see `WebhookDeliveries`).
      // Not when this end was not the one stored (given up, or another process ended the run first:
      // that process delivers).
      const url = liveRun.webhook;
      if (url && stored !== null && stored !== SKIPPED)
        this.deps.webhooks?.deliver({
          url,
          run: { ...run },
          terminal: stored,
          traceId: liveRun.session.trace_id,
        });
    });
  }

  /**
   * Writes the terminal event with the run's final record, trying again while the store is down, so
   * a run never stays `running` for a store that came back. Before each new try it reads the run: a
   * try whose answer was lost with the connection may have been applied, and is not written twice.
   * Never rejects. Resolves with the stored terminal event; undefined when a try was applied after
   * all (its event is not at hand); {@link SKIPPED} when the store skipped it (a shared store that
   * has the run ended already, by another process); null when the write was given up.
   */
  private async writeTerminal(
    liveRun: LiveRun,
    event: EventDraft,
  ): Promise<SessionEvent | typeof SKIPPED | undefined | null> {
    const { run } = liveRun;
    const where = { session_id: run.session_id, run_id: run.id, event: event.type };
    for (let attempt = 1, delay: number = TERMINAL_RETRY.firstMs; ; attempt++) {
      try {
        const stored = await this.commit(liveRun, [event], { sessionChange: 'end' });
        if (attempt > 1) this.deps.logger.info({ ...where, attempt }, 'terminal write of run stored');
        return stored.find((written) => written.type === event.type) ?? SKIPPED;
      } catch (error) {
        const retry = isTributaryError(error) && error.code === 'STORE_UNAVAILABLE';
        if (!retry || this.stopping.signal.aborted) {
          this.deps.logger.error(
            { ...where, err: error, attempt },
            "terminal write of run failed: the run's stored status stays as it was",
          );
          return null;
        }
        if (attempt === 1)
          this.deps.logger.warn(
            { ...where, err: error },
            'store down: terminal write of run retried until it is back',
          );
      }
      await pause(delay, this.stopping.signal);
      delay = Math.min(delay * 2, TERMINAL_RETRY.maxMs);
      if (await this.storedAsFinished(liveRun)) {
        this.deps.logger.info(
          { ...where, attempt },
          'terminal write of run was applied after all: not written again',
        );
        return undefined;
      }
    }
  }

  /** True when the store answers that the run has ended (a write that seemed to fail was applied). */
  private async storedAsFinished({ run }: LiveRun): Promise<boolean> {
    try {
      const stored = await this.deps.store.getRun(run.session_id, run.id);
      return stored !== null && isFinished(stored.status);
    } catch {
      // Still down: the next try fails the same way and waits again.
      return false;
    }
  }

  /** Turns one flow emission into its event and stored state, and moves the step span along. */
  private record(liveRun: LiveRun, emission: FlowEmission): void {
    const { run } = liveRun;
    const record = flowRecord(emission, {
      session_id: run.session_id,
      run_id: run.id,
      stamp: () => ({ id: newId(), ts: nowIso() }),
    });
    if (record.result) run.result = record.result.value;
    if (record.step !== undefined) {
      this.endStep(liveRun, { status: 'ok' });
      const span = this.deps.telemetry.startChild(liveRun.span ?? noParent(), 'step', record.step, {
        'session.id': run.session_id,
        'run.id': run.id,
        step: record.step,
      });
      liveRun.step = { name: record.step, span, startedAt: Date.now() };
    }
    if (record.events.length > 0)
      void this.write(liveRun, record.events, { messages: record.messages, data: record.data });
  }

  private endStep(liveRun: LiveRun, end: SpanEnd): void {
    const step = liveRun.step;
    if (!step) return;
    liveRun.step = null;
    const durationMs = Date.now() - step.startedAt;
    step.span.setAttributes({ 'step.duration_ms': durationMs });
    step.span.end(end);
    this.deps.logger.info(
      {
        session_id: liveRun.run.session_id,
        run_id: liveRun.run.id,
        trace_id: liveRun.session.trace_id ?? undefined,
        step: step.name,
        duration_ms: durationMs,
      },
      'step done',
    );
  }
}

/** A terminal write the store skipped: the run was stored ended already (see `writeTerminal`). */
const SKIPPED = 'skipped';

/** The `run.queued` event of a run waiting at `position`. */
export function queuedEvent(position: number, reason: QueueReason): EventDraft {
  const message =
    reason === 'session_busy'
      ? `queued behind the session's active run (position ${position})`
      : reason === 'requeued'
        ? 'queued again: its worker shut down before it ended'
        : `queued at position ${position}`;
  return { type: 'run.queued', message, meta: { position, reason } };
}

/** Whether `b` has the same own fields as `a`, compared with `===` (records are replaced, never mutated). */
function sameFields(a: Run, b: Run | null): boolean {
  if (b === null) return false;
  for (const key in a) if (a[key as keyof Run] !== b[key as keyof Run]) return false;
  return true;
}

function withdrawnError(runId: string): TributaryError {
  return new TributaryError('RUN_NOT_FOUND', `run ${runId} was withdrawn: its record could not be stored`);
}

function noParent(): never {
  throw new TributaryError('RUN_NOT_FOUND', 'step emitted outside a started run');
}
