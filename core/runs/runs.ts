import type { LlmSettings } from '../llm/language-model.ts';
import type { Logger } from '../logger.ts';
import type { ApprovalBook } from './approvals.ts';
import type { Checkpoints } from '../checkpoints/checkpoints.ts';
import { TributaryError } from '../errors.ts';
import { wellFormed } from '../events/well-formed.ts';
import type { EventDraft, SessionEvent } from '../events/event.ts';
import type { EventLog } from '../events/event-log.ts';
import { assertJsonDepth } from '../events/json-depth.ts';
import type { PluginRegistry } from '../plugins/plugin-registry.ts';
import { validationError } from '../plugins/schema-validator.ts';
import { touch, type SessionPolicy } from '../sessions/session-policy.ts';
import type { Sessions } from '../sessions/sessions.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { Telemetry } from '../telemetry.ts';
import { newId, nowIso } from '../uuid.ts';
import { LiveRuns, type LiveRun } from './live-runs.ts';
import { MULTITASK_STRATEGIES, isFinished, type MultitaskStrategy, type Run } from './run.ts';
import { RunExecutor } from './run-executor.ts';
import { recoverInterrupted } from './run-recovery.ts';
import { RunScheduler } from './run-scheduler.ts';
import type { RunQueue } from '../ports/run-queue.ts';
import type { RunJobQueue } from '../ports/run-job-queue.ts';
import { ClusterRuns, type WorkerLossPolicy } from './cluster-runs.ts';
import { userMessage } from './user-message.ts';
import type { WebhookDeliveries } from '../webhooks/webhook-deliveries.ts';

export interface CreateRunInput {
  input: Record<string, unknown>;
  /** Defaults to the flow named like the session's `agent_id`, else the configured default flow. */
  flow?: string;
  multitask?: MultitaskStrategy;
  /** An incoming W3C `traceparent` the run's span is linked to. */
  traceparent?: string;
  /**
   * Where the run is POSTed, signed, once it ended (docs/webhooks.md). Checked before anything is
   * stored; kept with the run in this process only, never in its record.
   */
  webhook?: { url: string };
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
  /** The language model tools get as `ctx.llm`; unset: none. */
  llm?: LlmSettings;
  /**
   * A queue shared by every process (BullMQ on Redis): runs become its jobs, executed by whichever
   * worker process takes them. Without it runs execute in this process ({@link RunScheduler}).
   */
  cluster?: { queue: RunJobQueue; onWorkerLoss: WorkerLossPolicy };
  /** Completion webhooks; without it (WEBHOOK_SECRET unset) a run with a `webhook` is refused. */
  webhooks?: WebhookDeliveries;
}

/**
 * Runs: create, read, list, cancel, approve: the facade the gateway and the sweeper use. Scheduling
 * (limits, queues, cancel) is {@link RunScheduler}'s in one process, or a shared queue's through
 * {@link ClusterRuns} when `cluster` is given; executing a run is {@link RunExecutor}'s either way,
 * the in-process bookkeeping {@link LiveRuns}' and crash recovery {@link recoverInterrupted}'s.
 *
 * @example
 * ```ts
 * const run = await runs.create(session.id, { input: { question: 'quiz me on RxJS' }, multitask: 'enqueue' });
 * await runs.cancel(session.id, run.id);
 * ```
 */
export class Runs {
  private readonly live = new LiveRuns();
  private readonly scheduler: RunQueue;
  private readonly executor: RunExecutor;
  /** Set when runs are jobs of a queue every process shares. */
  private readonly cluster: ClusterRuns | undefined;
  private accepting = true;

  constructor(private readonly deps: RunsDeps) {
    const { live } = this;
    const executor = (this.executor = new RunExecutor(deps, live));
    this.cluster =
      deps.cluster &&
      new ClusterRuns(
        {
          queue: deps.cluster.queue,
          store: deps.store,
          log: deps.log,
          policy: deps.policy,
          onWorkerLoss: deps.cluster.onWorkerLoss,
          approvals: deps.approvals,
          logger: deps.logger,
          recordProgress: (sessionId, draft) => deps.sessions.recordProgress(sessionId, draft),
          webhooks: deps.webhooks !== undefined,
        },
        live,
        executor,
      );
    this.scheduler = new RunScheduler({
      limit: deps.concurrency,
      work: (job, signal) => executor.work(live.get(job.id), signal),
      onQueued: (job, position, reason) => executor.queued(live.get(job.id), position, reason),
      onStarted: (job) => executor.started(live.get(job.id)),
      onEnded: (job, end) => executor.ended(live.get(job.id), end),
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
    const webhook = request.webhook && (await this.checkWebhook(request.webhook));

    const ts = nowIso();
    const run: Run = {
      id: newId(),
      session_id: sessionId,
      flow: flow.name,
      status: 'queued',
      multitask,
      // Well-formed here, once: the record answered is the one stored (see `wellFormed`).
      input: wellFormed(request.input),
      result: null,
      error: null,
      created_at: ts,
      started_at: null,
      finished_at: null,
      duration_ms: null,
      usage: { tokens_in: 0, tokens_out: 0 },
    };
    if (this.cluster) {
      if (!this.accepting) throw shuttingDown();
      await this.cluster.create(run, session, multitask, request.traceparent, webhook);
      return this.get(sessionId, run.id);
    }
    const refusal = this.scheduler.refusal(sessionId, multitask);
    if (refusal) throw refusal;
    // From here to submit nothing awaits: the record is queued before any lifecycle write of the run,
    // and no other run can take the session in between, so submit does not refuse.
    const liveRun = this.live.track(run, session, request.traceparent);
    liveRun.webhook = webhook;
    const created = this.deps.log.commit({
      session_id: sessionId,
      trace_id: session.trace_id,
      runs: [{ ...run }],
      messages: userMessage(run),
      patch: (current) => touch(this.deps.policy, current, { run_count: current.run_count + 1 }),
    });
    // A create the store refuses (locked past its busy timeout, down) withdraws the run: it never
    // existed, so it gets no terminal event, and the rejection reaches the caller, never the process.
    liveRun.lastWrite = created.then(
      () => undefined,
      () => this.withdraw(liveRun),
    );
    this.scheduler.submit({ id: run.id, sessionId }, multitask);
    await created;
    // Submit queued `run.queued` or `run.started`; answer once that is stored, with the record the
    // last write carrying it stored (no read back: the store holds exactly that copy, or a later one).
    const stored = liveRun.written;
    await liveRun.lastWrite;
    return { ...(stored ?? run) };
  }

  /**
   * Checks a createRun `webhook` (before anything of the run is stored): INVALID_ARGUMENT naming
   * `webhook.url` for a URL that is not http(s) or reaches a private address, or when webhooks are
   * off (WEBHOOK_SECRET unset). On a cluster queue the URL travels with the run's job to the node
   * that ends it.
   *
   * @example
   * ```ts
   * await runs.checkWebhook({ url: 'https://hooks.example.com/runs' }); // URL
   * ```
   */
  async checkWebhook(webhook: { url: string }): Promise<URL> {
    if (!this.deps.webhooks)
      throw new TributaryError(
        'INVALID_ARGUMENT',
        'webhook.url: webhooks are off on this server (WEBHOOK_SECRET is unset)',
        { field: 'webhook.url' },
      );
    return this.deps.webhooks.check(webhook);
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

  /**
   * Cancels a queued or running run; RUN_FINISHED when it already ended. Resolves once `run.cancelled`
   * is stored. The run's signal aborts with `RUN_CANCELLED` carrying `reason`, which every tool call and
   * fetch of the run sees; `run.cancelled` lists the tool attempts it stopped (`meta.aborted_tool_calls`).
   */
  async cancel(sessionId: string, runId: string, reason = 'cancelled by request'): Promise<Run> {
    const run = await this.get(sessionId, runId);
    if (this.cluster && !isFinished(run.status)) {
      await this.cluster.cancel(run, await this.deps.sessions.get(sessionId), reason);
      return this.get(sessionId, runId);
    }
    const liveRun = this.live.find(runId);
    if (!isFinished(run.status) && !liveRun && this.deps.store.shared)
      // Stored running, not held here: another process on the shared store runs it.
      throw new TributaryError(
        'INVALID_STATE',
        `run ${runId} is ${run.status} in another gateway process; cancel it through that process`,
        { field: 'run_id', details: { status: run.status } },
      );
    if (isFinished(run.status) || !liveRun || !this.scheduler.cancel(runId, reason)) {
      throw new TributaryError('RUN_FINISHED', `run ${runId} already ${run.status}`, {
        field: 'run_id',
        details: { status: run.status },
      });
    }
    await liveRun.done;
    return this.get(sessionId, runId);
  }

  /**
   * Cancels the session's active run: the one holding the session in this process (running, or first
   * in line for a slot), else the one the session's record names. The one rule for "cancel without a
   * run id", for every transport. RUN_NOT_FOUND when the session has none; otherwise as {@link Runs.cancel}.
   *
   * @example
   * ```ts
   * const run = await runs.cancelActive(session.id, 'cancelled over Socket.IO'); // run.status: 'cancelled'
   * ```
   */
  async cancelActive(sessionId: string, reason: string): Promise<Run> {
    const session = await this.deps.sessions.get(sessionId);
    const runId =
      this.activeRunId(sessionId) ?? (await this.cluster?.holder(sessionId)) ?? session.active_run_id;
    if (!runId)
      throw new TributaryError('RUN_NOT_FOUND', `session ${sessionId} has no queued or running run`, {
        field: 'run_id',
      });
    return this.cancel(sessionId, runId, reason);
  }

  /** Cancels every run of these sessions this process holds (used before deleting them). */
  async cancelSessions(sessionIds: readonly string[], reason: string): Promise<void> {
    const ids = new Set(sessionIds);
    const doomed = this.live.ofSessions(ids);
    for (const liveRun of doomed) this.scheduler.cancel(liveRun.run.id, reason);
    await Promise.all(doomed.map((liveRun) => liveRun.done));
    // In a cluster the sessions' active runs may execute anywhere; their waiting runs end when their
    // turn comes and the session is gone.
    if (this.cluster) {
      for (const sessionId of sessionIds) {
        const runId = await this.cluster.holder(sessionId);
        if (runId) await this.cancel(sessionId, runId, reason).catch(() => undefined);
      }
    }
  }

  /**
   * Makes this process a worker of the cluster's queue: it executes the runs it takes. Only with
   * `cluster` (the `worker` and `all` roles on Redis).
   */
  async work(): Promise<void> {
    if (!this.cluster || !this.deps.cluster)
      throw new TributaryError('INVALID_STATE', 'runs are executed in-process: there is no queue to work');
    await this.deps.cluster.queue.process(this.cluster);
  }

  /** Approves or rejects a pending tool call of a run. */
  async resolveApproval(
    sessionId: string,
    runId: string,
    approvalId: string,
    answer: { approve: boolean; input?: unknown },
  ): Promise<Run> {
    await this.get(sessionId, runId);
    // In a cluster the run may execute on another worker: the approval is answered there.
    const elsewhere =
      this.cluster && !this.live.has(runId)
        ? await this.cluster.ask(runId, { kind: 'approve', sessionId, approvalId, answer })
        : undefined;
    if (!elsewhere) this.deps.approvals.resolve(sessionId, runId, approvalId, answer);
    return this.get(sessionId, runId);
  }

  /**
   * Writes a `progress` event for a run another process of the cluster executes, through that
   * process (where the run's live state is); undefined when no process executes it.
   */
  async progressElsewhere(
    sessionId: string,
    draft: Omit<EventDraft, 'type'> & { run_id: string },
  ): Promise<SessionEvent | undefined> {
    if (!this.cluster || this.live.has(draft.run_id)) return undefined;
    const reply = await this.cluster.ask(draft.run_id, { kind: 'progress', sessionId, draft });
    return reply?.value as SessionEvent | undefined;
  }

  /**
   * Marks runs that were queued or running when the process died as failed (`interrupted`),
   * with a `run.failed` event each, so nothing is silently lost. Call once at start.
   */
  recoverInterrupted(): Promise<number> {
    return recoverInterrupted(this.deps, (runId) => this.live.has(runId));
  }

  /**
   * The id of the run holding a session in this process (running, or first in line for a slot);
   * the sweeper never expires a session that has one.
   */
  activeRunId(sessionId: string): string | undefined {
    return this.scheduler.activeJob(sessionId)?.id;
  }

  /**
   * The sessions of the runs this process holds (queued or running, from create until their
   * terminal event is queued): the sweeper leaves them alone, whatever the store says.
   */
  busySessions(): string[] {
    return this.live.all().map((liveRun) => liveRun.run.session_id);
  }

  /** Runs executing in this process. */
  get running(): number {
    return this.deps.cluster ? this.deps.cluster.queue.running : this.scheduler.running;
  }

  /** Runs waiting in this process's scheduler (none in a cluster: they wait in the shared queue). */
  get queued(): number {
    return this.scheduler.queued;
  }

  /** Stops accepting runs, drains running ones for `drainMs`, cancels the rest, and waits until all is stored. */
  async shutdown(drainMs: number): Promise<void> {
    this.accepting = false;
    await this.scheduler.shutdown(drainMs);
    await this.deps.cluster?.queue.close(drainMs);
    await Promise.all(this.live.all().map((liveRun) => liveRun.done));
    // A terminal write waiting for a store that is down gets one last try; shutdown does not wait for ever.
    await this.executor.stopRetrying();
    await this.deps.log.flush();
  }

  /** The run's record was not stored: end it in the scheduler (freeing its session) without a trace in the store. */
  private withdraw(liveRun: LiveRun): void {
    liveRun.withdrawn = true;
    if (!this.scheduler.cancel(liveRun.run.id, 'the run could not be stored')) liveRun.finish();
  }

  /**
   * Whether the run is queued or running in this process as a run of this session. A run leaves
   * this state in the same synchronous step that queues its terminal event, so a write queued for
   * the session while this is true lands before that event (see `run-guard.ts`).
   */
  isLive(sessionId: string, runId: string): boolean {
    return this.live.isLive(sessionId, runId);
  }

  /** `queued` and `running`, counting only runs of `userId`'s sessions. */
  countsOf(userId: string): { queued: number; running: number } {
    return this.live.countsOf(userId);
  }
}

function shuttingDown(): TributaryError {
  return new TributaryError('SHUTTING_DOWN', 'the server is shutting down; no new runs');
}
