import { setTimeout as sleep } from 'node:timers/promises';
import { defer, fromEvent, lastValueFrom, map, merge, take, type Observable } from 'rxjs';
import { isTributaryError, TributaryError, type ErrorCode } from '../errors.ts';
import type { SessionEvent } from '../events/event.ts';
import type { EventLog } from '../events/event-log.ts';
import type { Logger } from '../logger.ts';
import { untilCancelled, type RunEnd } from '../operators/until-cancelled.ts';
import type {
  RunCommand,
  RunCommandReply,
  RunJob,
  RunJobContext,
  RunJobHandler,
  RunJobQueue,
  RunJobResult,
} from '../ports/run-job-queue.ts';
import type { ApprovalBook } from './approvals.ts';
import type { Session } from '../sessions/session.ts';
import { touch, type SessionPolicy } from '../sessions/session-policy.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { LiveRun, LiveRuns } from './live-runs.ts';
import { isFinished, type MultitaskStrategy, type Run } from './run.ts';
import { queuedEvent, type RunExecutor } from './run-executor.ts';
import { userMessage } from './user-message.ts';
import { undeliveredEvent } from '../webhooks/webhook-deliveries.ts';

/** What a worker does with the runs it executes when it is lost or shut down. */
export type WorkerLossPolicy = 'fail' | 'retry';

export interface ClusterRunsDeps {
  readonly queue: RunJobQueue;
  readonly store: SessionStore;
  readonly log: EventLog;
  readonly policy: SessionPolicy;
  readonly onWorkerLoss: WorkerLossPolicy;
  readonly approvals: ApprovalBook;
  readonly logger: Logger;
  /** Writes a `progress` event of a run this process executes (`Sessions.recordProgress`). */
  readonly recordProgress: (sessionId: string, draft: ProgressDraft) => Promise<SessionEvent>;
  /**
   * Whether this process delivers completion webhooks (WEBHOOK_SECRET set). Without, a run it ends
   * that has one gets a `webhook.delivery` event with the error instead, and a warning is logged.
   */
  readonly webhooks: boolean;
}

type ProgressDraft = Extract<RunCommand, { kind: 'progress' }>['draft'];

/** How often a cancel looks for the run's terminal event, which another process may write. */
const TERMINAL_POLL = { firstMs: 10, maxMs: 250, totalMs: 30_000 } as const;

/** How long a worker waits for the store to answer before it gives up on a run it took. */
const LOAD_RETRY = { firstMs: 100, totalMs: 10_000 } as const;

/** The reason a worker's shutdown gives the runs it stops. */
const WORKER_STOPPING = 'the worker shut down';

/**
 * Runs on a cluster queue ({@link RunJobQueue}, BullMQ on Redis): the API side writes a run's record
 * and `run.queued` once the queue has taken its place; the worker side ({@link RunJobHandler})
 * executes the runs its process takes with the same {@link RunExecutor} as a single process, its
 * `takeUntil` cancel bridged to the job's `AbortSignal`, and ends the runs a lost worker left.
 *
 * @example
 * ```ts
 * const cluster = new ClusterRuns(deps, live, executor);
 * await cluster.create(run, session, multitask, traceparent); // stored `queued`, with `run.queued`
 * await deps.queue.process(cluster); // in worker processes
 * ```
 */
export class ClusterRuns implements RunJobHandler {
  /** Webhooks of runs this process ends but cannot sign (no WEBHOOK_SECRET here). */
  private readonly unsendable = new WeakMap<LiveRun, URL>();

  constructor(
    private readonly deps: ClusterRunsDeps,
    private readonly live: LiveRuns,
    private readonly executor: RunExecutor,
  ) {}

  /**
   * Takes the run's place in its session's line (SESSION_BUSY for `reject`) and stores the run, its
   * question and its `run.queued` there in one commit; `interrupt` then cancels the session's active run.
   */
  async create(
    run: Run,
    session: Session,
    multitask: MultitaskStrategy,
    traceparent?: string,
    webhook?: URL,
  ): Promise<void> {
    const { interrupted } = await this.deps.queue.submit(
      { ...jobOf(run, session, traceparent), ...(webhook ? { webhook: webhook.href } : {}) },
      multitask,
      async (admission) => {
        await this.deps.log.commit({
          session_id: run.session_id,
          trace_id: session.trace_id,
          runs: [{ ...run }],
          messages: userMessage(run),
          patch: (current) => touch(this.deps.policy, current, { run_count: current.run_count + 1 }),
          events: [{ run_id: run.id, ...queuedEvent(admission.position, admission.reason) }],
        });
      },
    );
    if (interrupted) void this.interrupt(run, session, interrupted);
  }

  /**
   * Cancels a queued or running run wherever it is, and resolves once its terminal event is stored
   * (by this process when it never started, by its worker otherwise).
   */
  async cancel(run: Run, session: Session, reason: string): Promise<void> {
    await this.deps.queue.cancel(jobOf(run, session, undefined), reason, (submitted) =>
      this.end(submitted, run, session, { status: 'cancelled', reason }),
    );
    await this.terminal(run);
  }

  /** Cancels the session's active run for the one that interrupts it; it may have ended meanwhile. */
  private async interrupt(run: Run, session: Session, activeRunId: string): Promise<void> {
    const active = await this.deps.store.getRun(run.session_id, activeRunId).catch(() => null);
    if (!active || isFinished(active.status)) return;
    await this.cancel(active, session, `interrupted by run ${run.id}`).catch((error: unknown) =>
      this.deps.logger.error(
        { err: error, session_id: run.session_id, run_id: activeRunId },
        'interrupting the active run failed',
      ),
    );
  }

  /**
   * Has the process executing the run carry out the command: its result, or undefined when no
   * process holds the run. A coded error there is thrown here as it was.
   */
  async ask(runId: string, command: RunCommand): Promise<{ value: unknown } | undefined> {
    const reply = await this.deps.queue.ask(runId, command);
    if (reply === undefined) return undefined;
    if (reply.ok) return { value: reply.value };
    const { code, message, field, details } = reply.error;
    throw new TributaryError(code as ErrorCode, message, { field, details });
  }

  async answer(runId: string, command: RunCommand): Promise<RunCommandReply | undefined> {
    if (!this.live.has(runId)) return undefined;
    try {
      if (command.kind === 'approve') {
        this.deps.approvals.resolve(command.sessionId, runId, command.approvalId, command.answer);
        return { ok: true };
      }
      return { ok: true, value: await this.deps.recordProgress(command.sessionId, command.draft) };
    } catch (error) {
      if (!isTributaryError(error)) throw error;
      const { code, message, field, details } = error;
      return { ok: false, error: { code, message, field, details } };
    }
  }

  /** The run heading the session's line, wherever it executes. */
  holder(sessionId: string): Promise<string | undefined> {
    return this.deps.queue.holder(sessionId);
  }

  async execute(job: RunJob, context: RunJobContext): Promise<RunJobResult> {
    const found = await this.load(job);
    if (found === 'ended') return found;
    const { run, session } = found;
    const liveRun = this.live.track(run, session, job.traceparent);
    this.withWebhook(liveRun, job);
    liveRun.attempt = context.attempt;
    if (context.signal.aborted) {
      // Cancelled between the queue handing it over and now: it never starts.
      return this.finish(liveRun, { status: 'cancelled', reason: reasonOf(context.signal) });
    }
    this.executor.started(liveRun);
    const controller = new AbortController();
    const cancel$: Observable<string> = merge(
      abortsOf(context.signal),
      abortsOf(context.stopping).pipe(map(() => WORKER_STOPPING)),
    ).pipe(take(1));
    const end = await lastValueFrom(
      defer(() => this.executor.work(liveRun, controller.signal)).pipe(untilCancelled(cancel$, controller)),
    );
    if (end.status === 'cancelled' && end.reason === WORKER_STOPPING && context.stopping.aborted) {
      if (this.deps.onWorkerLoss === 'retry') {
        this.executor.handedBack(liveRun);
        await liveRun.done;
        return 'handed_back';
      }
      return this.finish(liveRun, { status: 'failed', error: interrupted('its worker shut down') });
    }
    return this.finish(liveRun, end);
  }

  async lost(job: RunJob, why: string): Promise<void> {
    const found = await this.load(job);
    if (found === 'ended') return;
    await this.end(job, found.run, found.session, { status: 'failed', error: interrupted(why) });
  }

  /** The run and its session from the store; `ended` when either is gone or the run has ended. */
  private async load(job: RunJob): Promise<{ run: Run; session: Session } | 'ended'> {
    // A store that is down for a moment (a Redis failover) does not fail a run that has not started.
    for (let delay: number = LOAD_RETRY.firstMs, waited = 0; ; waited += delay, delay *= 2) {
      try {
        const [session, run] = await Promise.all([
          this.deps.store.getSession(job.sessionId),
          this.deps.store.getRun(job.sessionId, job.runId),
        ]);
        return !session || !run || isFinished(run.status) ? 'ended' : { run, session };
      } catch (error) {
        if (!isTributaryError(error, 'STORE_UNAVAILABLE') || waited >= LOAD_RETRY.totalMs) throw error;
      }
      await sleep(delay);
    }
  }

  /** Writes the terminal event of a run this process holds no live state for (`job` has its webhook). */
  private end(job: RunJob, run: Run, session: Session, end: RunEnd): Promise<void> {
    const liveRun = this.live.track(run, session, undefined);
    this.withWebhook(liveRun, job);
    return this.finish(liveRun, end).then(() => undefined);
  }

  /**
   * Gives the run its job's webhook, delivered by the executor once the terminal event is stored. A
   * process without WEBHOOK_SECRET cannot sign it: the run still ends, and the session says why no
   * webhook came (a `webhook.delivery` event with the error) rather than nothing.
   */
  private withWebhook(liveRun: LiveRun, job: RunJob): void {
    if (!job.webhook) return;
    const url = new URL(job.webhook);
    if (this.deps.webhooks) {
      liveRun.webhook = url;
      return;
    }
    this.unsendable.set(liveRun, url);
  }

  private async undelivered({ run, session }: LiveRun, url: URL): Promise<void> {
    // Handed back to the queue (or withdrawn): the run has not ended, whoever ends it delivers.
    if (!isFinished(run.status)) return;
    const error = 'WEBHOOK_SECRET is unset on the node that ended the run';
    const where = { session_id: run.session_id, run_id: run.id, url_host: url.host };
    this.deps.logger.warn(where, `webhook not sent: ${error} (every node needs the same WEBHOOK_SECRET)`);
    try {
      // Not a run's event (`run_id` null): the run's terminal event stays its last.
      await this.deps.log.commit({
        session_id: run.session_id,
        trace_id: session.trace_id,
        events: [{ ...undeliveredEvent(url, run, error), run_id: null }],
      });
    } catch (err) {
      this.deps.logger.warn({ ...where, err }, 'webhook delivery attempt could not be recorded');
    }
  }

  private async finish(liveRun: LiveRun, end: RunEnd): Promise<'ended'> {
    this.executor.ended(liveRun, end);
    await liveRun.done;
    const unsendable = this.unsendable.get(liveRun);
    if (unsendable) await this.undelivered(liveRun, unsendable);
    return 'ended';
  }

  /** Resolves once the store has the run ended, or after {@link TERMINAL_POLL}'s total time. */
  private async terminal(run: Run): Promise<void> {
    const deadline = Date.now() + TERMINAL_POLL.totalMs;
    for (let delay: number = TERMINAL_POLL.firstMs; Date.now() < deadline;) {
      const stored = await this.deps.store.getRun(run.session_id, run.id);
      if (!stored || isFinished(stored.status)) return;
      await sleep(delay);
      delay = Math.min(delay * 2, TERMINAL_POLL.maxMs);
    }
  }
}

function jobOf(run: Run, session: Session, traceparent: string | undefined): RunJob {
  return {
    runId: run.id,
    sessionId: run.session_id,
    // Sessions without a user take their turns together.
    userId: session.user_id ?? '',
    ...(traceparent ? { traceparent } : {}),
  };
}

/** Emits the signal's reason (as text) when it aborts, or at once when it already has. */
function abortsOf(signal: AbortSignal): Observable<string> {
  const reason$ = defer(() => [reasonOf(signal)]);
  return signal.aborted ? reason$ : fromEvent(signal, 'abort').pipe(map(() => reasonOf(signal)));
}

function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return reason.message;
  return 'cancelled';
}

function interrupted(why: string): TributaryError {
  return new TributaryError('RUN_INTERRUPTED', `run interrupted: ${why}`);
}
