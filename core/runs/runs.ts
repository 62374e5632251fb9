import type { Logger } from 'pino';
import { concat, defer, finalize, ignoreElements, merge, Subject, tap, type Observable } from 'rxjs';
import type { ApprovalBook } from './approvals.ts';
import type { Checkpoints } from '../checkpoints/checkpoints.ts';
import { errorMessage, isTributaryError, TributaryError } from '../errors.ts';
import type { EventDraft } from '../events/event.ts';
import type { EventLog } from '../events/event-log.ts';
import { assertJsonDepth } from '../events/json-depth.ts';
import type { Message } from '../events/message.ts';
import type { RunEnd } from '../operators/until-cancelled.ts';
import { withinSpan } from '../operators/within-span.ts';
import type { FlowContext, FlowEmission } from '../plugins/plugin.ts';
import type { PluginRegistry } from '../plugins/plugin-registry.ts';
import { MULTITASK_STRATEGIES, isFinished, type MultitaskStrategy, type Run, type RunError } from './run.ts';
import { RunScheduler, type QueueReason } from './run-scheduler.ts';
import type { RunScope } from './run-scope.ts';
import { validationError } from '../plugins/schema-validator.ts';
import type { Session } from '../sessions/session.ts';
import { touch, type SessionPolicy } from '../sessions/session-policy.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { Sessions } from '../sessions/sessions.ts';
import type { Span, Telemetry } from '../telemetry.ts';
import { callTool } from '../plugins/tool-call.ts';
import { newId, nowIso } from '../uuid.ts';

export interface CreateRunInput {
  input: Record<string, unknown>;
  /** Defaults to the flow named like the session's `agent_id`, else the configured default flow. */
  flow?: string;
  multitask?: MultitaskStrategy;
  /** An incoming W3C `traceparent` the run's span is linked to. */
  traceparent?: string;
}

export interface RunsDeps {
  store: SessionStore;
  log: EventLog;
  sessions: Sessions;
  checkpoints: Checkpoints;
  registry: PluginRegistry;
  approvals: ApprovalBook;
  telemetry: Telemetry;
  logger: Logger;
  policy: SessionPolicy;
  concurrency: number;
  defaultFlow: string;
  /** The fetch tools get (wrapped with trace headers and the run's signal). */
  fetch?: typeof fetch;
}

/** A run this process is executing or holding in its queue. */
interface LiveRun {
  run: Run;
  session: Session;
  span: Span | null;
  step: { name: string; span: Span; startedAt: number } | null;
  ended: boolean;
  /** Its record could not be stored: nothing more of it is written. */
  withdrawn: boolean;
  /** Settles when the terminal event is stored. */
  readonly done: Promise<void>;
  finish(): void;
  /** Errors when a store write of the run fails, which fails the run. */
  readonly storeFailure$: Subject<never>;
  traceparent: string | undefined;
  /** The last write queued for the run: awaiting it sees every write queued before. */
  lastWrite: Promise<void>;
}

/**
 * Runs: create, read, cancel, approve; and the executor that turns a flow's stream into stored,
 * published events. Scheduling (limits, queues, cancel) is {@link RunScheduler}'s.
 *
 * @example
 * ```ts
 * const run = await runs.create(session.id, { input: { question: 'quiz me on RxJS' }, multitask: 'enqueue' });
 * await runs.cancel(session.id, run.id);
 * ```
 */
export class Runs {
  private readonly live = new Map<string, LiveRun>();
  private readonly scheduler: RunScheduler<{ id: string; sessionId: string }>;

  constructor(private readonly deps: RunsDeps) {
    this.scheduler = new RunScheduler({
      limit: deps.concurrency,
      work: (job, signal) => this.work(this.liveRun(job.id), signal),
      onQueued: (job, position, reason) => this.onQueued(this.liveRun(job.id), position, reason),
      onStarted: (job) => this.onStarted(this.liveRun(job.id)),
      onEnded: (job, end) => this.onEnded(this.liveRun(job.id), end),
    });
  }

  async create(sessionId: string, request: CreateRunInput): Promise<Run> {
    const session = await this.deps.sessions.getWritable(sessionId);
    if (session.state === 'archived') {
      throw new TributaryError(
        'SESSION_ARCHIVED',
        `session ${sessionId} is archived; set its state to active to run`,
        { field: 'session_id' },
      );
    }
    const multitask = request.multitask ?? 'enqueue';
    if (!MULTITASK_STRATEGIES.includes(multitask)) {
      throw new TributaryError(
        'INVALID_ARGUMENT',
        `multitask must be one of ${MULTITASK_STRATEGIES.join(', ')}`,
        { field: 'multitask' },
      );
    }
    const flowName =
      request.flow ??
      (session.agent_id && this.deps.registry.hasFlow(session.agent_id)
        ? session.agent_id
        : this.deps.defaultFlow);
    const flow = this.deps.registry.flow(flowName);
    // Before the validator or the store's stringify recurse into it.
    assertJsonDepth(request.input, 'input');
    if (!flow.validateInput(request.input))
      throw validationError('INVALID_ARGUMENT', flow.validateInput.errors, 'input');

    const ts = nowIso();
    const run: Run = {
      id: newId(),
      session_id: sessionId,
      flow: flow.name,
      status: 'queued',
      multitask,
      input: request.input,
      result: null,
      error: null,
      created_at: ts,
      started_at: null,
      finished_at: null,
      duration_ms: null,
      usage: { tokens_in: 0, tokens_out: 0 },
    };
    const refusal = this.scheduler.refusal(sessionId, multitask);
    if (refusal) throw refusal;
    // From here to submit nothing awaits: the record is queued before any lifecycle write of the run,
    // and no other run can take the session in between, so submit does not refuse.
    this.track(run, session, request.traceparent);
    const created = this.deps.log.commit({
      session_id: sessionId,
      trace_id: session.trace_id,
      runs: [{ ...run }],
      messages: userMessage(run),
      patch: (current) => touch(this.deps.policy, current, { run_count: current.run_count + 1 }),
    });
    const liveRun = this.liveRun(run.id);
    // A create the store refuses (locked past its busy timeout, down) withdraws the run: it never
    // existed, so it gets no terminal event, and the rejection reaches the caller, never the process.
    liveRun.lastWrite = created.then(
      () => undefined,
      () => this.withdraw(liveRun),
    );
    this.scheduler.submit({ id: run.id, sessionId }, multitask);
    await created;
    // Submit queued `run.queued` or `run.started`; answer once that is stored.
    await liveRun.lastWrite;
    return this.get(sessionId, run.id);
  }

  async get(sessionId: string, runId: string): Promise<Run> {
    await this.deps.sessions.get(sessionId);
    const run = await this.deps.store.getRun(sessionId, runId);
    if (!run)
      throw new TributaryError('RUN_NOT_FOUND', `run ${runId} not found in session ${sessionId}`, {
        field: 'run_id',
      });
    return run;
  }

  async list(sessionId: string): Promise<Run[]> {
    await this.deps.sessions.get(sessionId);
    return this.deps.store.listRuns(sessionId);
  }

  /** Cancels a queued or running run; RUN_FINISHED when it already ended. Resolves once `run.cancelled` is stored. */
  async cancel(sessionId: string, runId: string, reason = 'cancelled by request'): Promise<Run> {
    const run = await this.get(sessionId, runId);
    const liveRun = this.live.get(runId);
    if (isFinished(run.status) || !liveRun || !this.scheduler.cancel(runId, reason)) {
      throw new TributaryError('RUN_FINISHED', `run ${runId} already ${run.status}`, {
        field: 'run_id',
        details: { status: run.status },
      });
    }
    await liveRun.done;
    return this.get(sessionId, runId);
  }

  /** Cancels every run of these sessions this process holds (used before deleting them). */
  async cancelSessions(sessionIds: readonly string[], reason: string): Promise<void> {
    const ids = new Set(sessionIds);
    const doomed = [...this.live.values()].filter((liveRun) => ids.has(liveRun.run.session_id));
    for (const liveRun of doomed) this.scheduler.cancel(liveRun.run.id, reason);
    await Promise.all(doomed.map((liveRun) => liveRun.done));
  }

  /** Approves or rejects a pending tool call of a run. */
  async resolveApproval(
    sessionId: string,
    runId: string,
    approvalId: string,
    answer: { approve: boolean; input?: unknown },
  ): Promise<Run> {
    await this.get(sessionId, runId);
    this.deps.approvals.resolve(sessionId, runId, approvalId, answer);
    return this.get(sessionId, runId);
  }

  /**
   * Marks runs that were queued or running when the process died as failed (`interrupted`),
   * with a `run.failed` event each, so nothing is silently lost. Call once at start.
   */
  async recoverInterrupted(): Promise<number> {
    const stale = (await this.deps.store.listRunsByStatus(['queued', 'running'])).filter(
      (run) => !this.live.has(run.id),
    );
    for (const run of stale) {
      const session = await this.deps.store.getSession(run.session_id);
      if (!session) continue;
      const error: RunError = {
        code: 'RUN_INTERRUPTED',
        message: 'the process stopped while this run was in progress',
        reason: 'interrupted',
      };
      const ts = nowIso();
      await this.deps.log.commit({
        session_id: run.session_id,
        trace_id: session.trace_id,
        runs: [
          {
            ...run,
            status: 'failed',
            error,
            finished_at: ts,
            duration_ms: Date.parse(ts) - Date.parse(run.started_at ?? run.created_at),
          },
        ],
        patch: (current) => touch(this.deps.policy, current, { active_run_id: null }),
        events: [
          {
            type: 'run.failed',
            run_id: run.id,
            level: 'error',
            message: `run failed: ${error.message}`,
            meta: { ...error },
          },
        ],
      });
    }
    return stale.length;
  }

  /**
   * The id of the run holding a session in this process (running, or first in line for a slot);
   * the sweeper never expires a session that has one.
   */
  activeRunId(sessionId: string): string | undefined {
    return this.scheduler.activeJob(sessionId)?.id;
  }

  get running(): number {
    return this.scheduler.running;
  }

  get queued(): number {
    return this.scheduler.queued;
  }

  /** Stops accepting runs, drains running ones for `drainMs`, cancels the rest, and waits until all is stored. */
  async shutdown(drainMs: number): Promise<void> {
    await this.scheduler.shutdown(drainMs);
    await Promise.all([...this.live.values()].map((liveRun) => liveRun.done));
    await this.deps.log.flush();
  }

  private track(run: Run, session: Session, traceparent: string | undefined): LiveRun {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const liveRun: LiveRun = {
      run,
      session,
      span: null,
      step: null,
      ended: false,
      withdrawn: false,
      done,
      finish,
      storeFailure$: new Subject<never>(),
      traceparent,
      lastWrite: Promise.resolve(),
    };
    this.live.set(run.id, liveRun);
    return liveRun;
  }

  private liveRun(runId: string): LiveRun {
    const liveRun = this.live.get(runId);
    if (!liveRun) throw new TributaryError('RUN_NOT_FOUND', `run ${runId} is not live in this process`);
    return liveRun;
  }

  /** Queues a write of the run; a failed write fails the run (the store threw mid-run). */
  private write(
    liveRun: LiveRun,
    events: EventDraft[],
    extra: { messages?: Message[]; data?: Record<string, unknown>; sessionChange?: 'start' | 'end' } = {},
  ): Promise<void> {
    const { run, session } = liveRun;
    const written = this.deps.log
      .commit({
        session_id: run.session_id,
        trace_id: session.trace_id,
        runs: [{ ...run }],
        messages: extra.messages,
        patch: (current) => {
          // Built right before the store write: a write queued before the create failed is dropped here.
          if (liveRun.withdrawn) throw withdrawnError(run.id);
          if (extra.sessionChange === 'start')
            return touch(this.deps.policy, current, { active_run_id: run.id });
          if (extra.sessionChange === 'end') {
            return touch(this.deps.policy, current, {
              active_run_id: current.active_run_id === run.id ? null : current.active_run_id,
            });
          }
          return extra.data ? { data: { ...current.data, ...extra.data }, updated_at: nowIso() } : {};
        },
        events: events.map((draft) => ({ run_id: run.id, ...draft })),
      })
      .then(
        () => undefined,
        (error: unknown) => {
          if (liveRun.withdrawn) return;
          this.deps.logger.error(
            { err: error, session_id: run.session_id, run_id: run.id },
            'store write failed for run',
          );
          liveRun.storeFailure$.error(
            new TributaryError('STORE_UNAVAILABLE', `store write failed: ${errorMessage(error)}`, {
              cause: error,
            }),
          );
        },
      );
    liveRun.lastWrite = written;
    return written;
  }

  /** The run's record was not stored: end it in the scheduler (freeing its session) without a trace in the store. */
  private withdraw(liveRun: LiveRun): void {
    liveRun.withdrawn = true;
    if (!this.scheduler.cancel(liveRun.run.id, 'the run could not be stored')) liveRun.finish();
  }

  private onQueued(liveRun: LiveRun, position: number, reason: QueueReason): void {
    const message =
      reason === 'session_busy'
        ? `queued behind the session's active run (position ${position})`
        : `queued at position ${position}`;
    void this.write(liveRun, [{ type: 'run.queued', message, meta: { position, reason } }]);
  }

  private onStarted(liveRun: LiveRun): void {
    const { run, session } = liveRun;
    run.status = 'running';
    run.started_at = nowIso();
    const waitMs = Date.parse(run.started_at) - Date.parse(run.created_at);
    liveRun.span = this.deps.telemetry.startRun(
      { traceId: session.trace_id, parent: session.trace_parent },
      `run ${run.flow}`,
      { 'session.id': run.session_id, 'run.id': run.id, flow: run.flow, 'run.queue_wait_ms': waitMs },
      liveRun.traceparent,
    );
    void this.write(
      liveRun,
      [
        {
          type: 'run.started',
          message: `run started (${run.flow})`,
          meta: { flow: run.flow, queue_wait_ms: waitMs },
        },
      ],
      {
        sessionChange: 'start',
      },
    );
  }

  private work(liveRun: LiveRun, signal: AbortSignal): Observable<unknown> {
    const { run, session } = liveRun;
    // `trace_id` ties every line of the run to the session's trace, also lines logged outside an active span.
    const logger = this.deps.logger.child({
      session_id: run.session_id,
      run_id: run.id,
      trace_id: session.trace_id ?? undefined,
    });
    const span = liveRun.span;
    if (!span) throw new TributaryError('RUN_NOT_FOUND', `run ${run.id} has not started`);
    const scope: RunScope = {
      session_id: run.session_id,
      run_id: run.id,
      signal,
      logger,
      telemetry: this.deps.telemetry,
      span,
      emit: (draft) => {
        if (!liveRun.ended) void this.write(liveRun, [draft]);
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
          { registry: this.deps.registry, approvals: this.deps.approvals, fetch: this.deps.fetch },
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

  /** Turns one flow emission into its event and stored state. */
  private record(liveRun: LiveRun, emission: FlowEmission): void {
    switch (emission.type) {
      case 'step': {
        this.endStep(liveRun, 'ok');
        const span = this.deps.telemetry.startChild(liveRun.span ?? noParent(), 'step', emission.step, {
          'session.id': liveRun.run.session_id,
          'run.id': liveRun.run.id,
          step: emission.step,
        });
        liveRun.step = { name: emission.step, span, startedAt: Date.now() };
        void this.write(liveRun, [
          {
            type: 'step',
            step: emission.step,
            level: emission.level,
            message: emission.message ?? emission.step,
            meta: emission.meta,
          },
        ]);
        return;
      }
      case 'progress':
        void this.write(liveRun, [
          {
            type: 'progress',
            step: emission.step,
            level: emission.level,
            message: emission.message,
            meta: emission.meta,
          },
        ]);
        return;
      case 'message': {
        const message: Message = {
          id: newId(),
          session_id: liveRun.run.session_id,
          run_id: liveRun.run.id,
          role: emission.role,
          content: emission.content,
          tool: emission.tool ?? null,
          ts: nowIso(),
        };
        void this.write(
          liveRun,
          [
            {
              type: 'message',
              tool: emission.tool,
              message: emission.content,
              meta: { ...emission.meta, role: emission.role, message_id: message.id },
            },
          ],
          {
            messages: [message],
          },
        );
        return;
      }
      case 'data':
        void this.write(
          liveRun,
          [
            {
              type: 'session.updated',
              message: 'session data updated',
              meta: { data_keys: Object.keys(emission.data) },
            },
          ],
          {
            data: emission.data,
          },
        );
        return;
      case 'result':
        liveRun.run.result = emission.result;
        return;
    }
  }

  private endStep(liveRun: LiveRun, status: 'ok' | 'error' | 'cancelled', error?: unknown): void {
    const step = liveRun.step;
    if (!step) return;
    liveRun.step = null;
    const durationMs = Date.now() - step.startedAt;
    step.span.setAttributes({ 'step.duration_ms': durationMs });
    step.span.end({ status, error });
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

  private onEnded(liveRun: LiveRun, end: RunEnd): void {
    const { run } = liveRun;
    liveRun.ended = true;
    this.live.delete(run.id);
    if (liveRun.withdrawn) {
      liveRun.span?.end({ status: 'error', message: 'the run could not be stored' });
      liveRun.finish();
      return;
    }
    const finishedAt = Date.now();
    run.finished_at = nowIso(finishedAt);
    run.duration_ms = run.started_at ? finishedAt - Date.parse(run.started_at) : 0;
    let draft: EventDraft;
    if (end.status === 'completed') {
      run.status = 'completed';
      draft = { type: 'run.completed', message: 'run completed', meta: { duration_ms: run.duration_ms } };
      this.endStep(liveRun, 'ok');
      liveRun.span?.end({ status: 'ok' });
    } else if (end.status === 'failed') {
      run.status = 'failed';
      run.error = toRunError(end.error);
      draft = {
        type: 'run.failed',
        level: 'error',
        message: `run failed: ${run.error.message}`,
        meta: { ...run.error, duration_ms: run.duration_ms },
      };
      this.endStep(liveRun, 'error', end.error);
      liveRun.span?.end({ status: 'error', message: run.error.message, error: end.error });
    } else {
      run.status = 'cancelled';
      run.error = { code: 'RUN_CANCELLED', message: end.reason, reason: end.reason };
      draft = {
        type: 'run.cancelled',
        level: 'warn',
        message: `run cancelled: ${end.reason}`,
        meta: { reason: end.reason, duration_ms: run.duration_ms },
      };
      this.endStep(liveRun, 'cancelled');
      liveRun.span?.end({ status: 'cancelled', message: end.reason });
    }
    // Written through the session's queue, so it lands after every event the run emitted before it ended.
    void this.write(liveRun, [draft], { sessionChange: 'end' }).finally(() => liveRun.finish());
  }

  /**
   * Whether the run is queued or running in this process as a run of this session. A run leaves
   * this state in the same synchronous step that queues its terminal event, so a write queued for
   * the session while this is true lands before that event (see `run-guard.ts`).
   */
  isLive(sessionId: string, runId: string): boolean {
    const liveRun = this.live.get(runId);
    return liveRun !== undefined && !liveRun.ended && liveRun.run.session_id === sessionId;
  }

  /** `queued` and `running`, counting only runs of `userId`'s sessions. */
  countsOf(userId: string): { queued: number; running: number } {
    const counts = { queued: 0, running: 0 };
    for (const { run, session, ended } of this.live.values()) {
      if (ended || session.user_id !== userId) continue;
      counts[run.status === 'running' ? 'running' : 'queued'] += 1;
    }
    return counts;
  }
}

function userMessage(run: Run): Message[] {
  const question = run.input.question;
  if (typeof question !== 'string') return [];
  return [
    {
      id: newId(),
      session_id: run.session_id,
      run_id: run.id,
      role: 'user',
      content: question,
      tool: null,
      ts: run.created_at,
    },
  ];
}

function toRunError(error: unknown): RunError {
  if (isTributaryError(error)) return { code: error.code, message: error.message };
  return { code: 'RUN_FAILED', message: errorMessage(error) };
}

function withdrawnError(runId: string): TributaryError {
  return new TributaryError('RUN_NOT_FOUND', `run ${runId} was withdrawn: its record could not be stored`);
}

function noParent(): never {
  throw new TributaryError('RUN_NOT_FOUND', 'step emitted outside a started run');
}
