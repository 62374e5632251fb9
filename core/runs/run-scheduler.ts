import {
  EMPTY,
  ReplaySubject,
  Subject,
  defer,
  mergeMap,
  tap,
  type Observable,
  type Subscription,
} from 'rxjs';
import { TributaryError } from '../errors.ts';
import { untilCancelled, type RunEnd } from '../operators/until-cancelled.ts';
import type { QueueReason, RunQueue, RunQueueJob } from '../ports/run-queue.ts';
import type { MultitaskStrategy } from './run.ts';

export type { QueueReason } from '../ports/run-queue.ts';
export type SchedulerJob = RunQueueJob;

export interface RunSchedulerOptions<J extends SchedulerJob> {
  /** Runs executing at once across all sessions. */
  limit: number;
  /**
   * The run's work. Subscribed when the run gets a slot; `signal` aborts with `RUN_CANCELLED` carrying
   * the cancel's reason before the work is unsubscribed, or with `RUN_ENDED` once it ended on its own.
   */
  work(job: J, signal: AbortSignal): Observable<unknown>;
  onQueued?(job: J, position: number, reason: QueueReason): void;
  onStarted?(job: J): void;
  /** Called exactly once per submitted job, synchronously when it ends, its slot already free. */
  onEnded(job: J, end: RunEnd): void;
}

interface Entry<J> {
  readonly job: J;
  state: 'waiting' | 'running' | 'ended';
  readonly cancel$: ReplaySubject<string>;
}

/**
 * Runs jobs with bounded concurrency and one active job per session.
 *
 * Ready jobs flow through `mergeMap(execute, limit)`; a job whose session is busy waits in that
 * session's queue until the active one ends. Cancel has one path ({@link untilCancelled}): the job's
 * `AbortController` aborts with the reason, then `takeUntil` unsubscribes its work.
 *
 * @example
 * ```ts
 * const scheduler = new RunScheduler({ limit: 3, work: (job, signal) => flow$(job, signal), onEnded: save });
 * scheduler.submit({ id: 'r1', sessionId: 's1' }, 'enqueue'); // 'running'
 * scheduler.cancel('r1', 'user asked');                     // onEnded(r1, { status: 'cancelled', … })
 * ```
 */
export class RunScheduler<J extends SchedulerJob> implements RunQueue<J> {
  private readonly ready$ = new Subject<Entry<J>>();
  private readonly entries = new Map<string, Entry<J>>();
  /** Jobs not yet started, in submit order: their index is their queue position. */
  private readonly waiting: Entry<J>[] = [];
  /** Per session: the job holding the session (waiting for a slot or running). */
  private readonly holders = new Map<string, Entry<J>>();
  private readonly sessionQueues = new Map<string, Entry<J>[]>();
  private readonly subscription: Subscription;
  private runningCount = 0;
  private accepting = true;
  private readonly drained$ = new Subject<void>();

  constructor(private readonly options: RunSchedulerOptions<J>) {
    this.subscription = this.ready$.pipe(mergeMap((entry) => this.execute(entry), options.limit)).subscribe();
  }

  /** Queues or starts a job; returns whether it is running now. Throws SESSION_BUSY for `reject`. */
  submit(job: J, multitask: MultitaskStrategy): 'running' | 'queued' {
    const refusal = this.refusal(job.sessionId, multitask);
    if (refusal) throw refusal;
    const holder = this.holders.get(job.sessionId);
    const entry: Entry<J> = { job, state: 'waiting', cancel$: new ReplaySubject<string>(1) };
    this.entries.set(job.id, entry);
    this.waiting.push(entry);
    if (!holder) {
      this.admit(entry);
    } else {
      const queue = this.sessionQueues.get(job.sessionId) ?? [];
      this.sessionQueues.set(job.sessionId, queue);
      if (multitask === 'interrupt') {
        queue.unshift(entry);
        this.cancel(holder.job.id, `interrupted by run ${job.id}`);
      } else {
        queue.push(entry);
      }
    }
    if (entry.state === 'waiting') {
      const reason = this.holders.get(job.sessionId) === entry ? 'concurrency_limit' : 'session_busy';
      this.options.onQueued?.(job, this.position(job.id) ?? this.waiting.length, reason);
    }
    return entry.state === 'running' ? 'running' : 'queued';
  }

  /** Why `submit` would refuse a job now (SHUTTING_DOWN, or SESSION_BUSY for `reject`), if it would. */
  refusal(sessionId: string, multitask: MultitaskStrategy): TributaryError | undefined {
    if (!this.accepting)
      return new TributaryError('SHUTTING_DOWN', 'the server is shutting down; no new runs');
    const holder = this.holders.get(sessionId);
    if (holder && multitask === 'reject') {
      return new TributaryError('SESSION_BUSY', `session ${sessionId} has an active run ${holder.job.id}`, {
        field: 'multitask',
        details: { active_run_id: holder.job.id },
      });
    }
    return undefined;
  }

  /** Cancels a waiting or running job; false when it is unknown or already ended. */
  cancel(jobId: string, reason: string): boolean {
    const entry = this.entries.get(jobId);
    if (!entry || entry.state === 'ended') return false;
    if (entry.state === 'running') {
      entry.cancel$.next(reason);
      return true;
    }
    // Not started: end it now instead of when mergeMap would have reached it.
    entry.cancel$.next(reason);
    this.end(entry, { status: 'cancelled', reason });
    return true;
  }

  /** 1-based place in the queue, or undefined when the job is not waiting. */
  position(jobId: string): number | undefined {
    const index = this.waiting.findIndex((entry) => entry.job.id === jobId);
    return index < 0 ? undefined : index + 1;
  }

  /** The job holding a session (running, or waiting for a slot). */
  activeJob(sessionId: string): J | undefined {
    return this.holders.get(sessionId)?.job;
  }

  get running(): number {
    return this.runningCount;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Stops accepting jobs, cancels the waiting ones, lets running ones finish for `drainMs`,
   * then cancels what is left. Resolves when every job has ended.
   */
  async shutdown(drainMs: number): Promise<void> {
    this.accepting = false;
    for (const entry of [...this.waiting].reverse()) this.cancel(entry.job.id, 'shutdown');
    if (this.runningCount > 0 && drainMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMs);
        const sub = this.drained$.subscribe(() => {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve();
        });
      });
    }
    for (const entry of [...this.entries.values()]) this.cancel(entry.job.id, 'shutdown');
    this.subscription.unsubscribe();
  }

  private admit(entry: Entry<J>): void {
    this.holders.set(entry.job.sessionId, entry);
    this.ready$.next(entry);
  }

  private execute(entry: Entry<J>): Observable<RunEnd> {
    if (entry.state === 'ended') return EMPTY;
    entry.state = 'running';
    this.runningCount += 1;
    this.waiting.splice(this.waiting.indexOf(entry), 1);
    this.options.onStarted?.(entry.job);
    return defer(() => {
      const controller = new AbortController();
      // A `work` that throws fails its job only, as an error of its stream would.
      const work$ = defer(() => this.options.work(entry.job, controller.signal));
      return work$.pipe(untilCancelled(entry.cancel$, controller));
    }).pipe(tap((end) => this.end(entry, end)));
  }

  private end(entry: Entry<J>, end: RunEnd): void {
    const wasRunning = entry.state === 'running';
    entry.state = 'ended';
    entry.cancel$.complete();
    this.entries.delete(entry.job.id);
    if (wasRunning) this.runningCount -= 1;
    const index = this.waiting.indexOf(entry);
    if (index >= 0) this.waiting.splice(index, 1);
    const sessionId = entry.job.sessionId;
    const queue = this.sessionQueues.get(sessionId);
    let next: Entry<J> | undefined;
    if (this.holders.get(sessionId) === entry) {
      this.holders.delete(sessionId);
      next = queue?.shift();
    } else if (queue) {
      queue.splice(queue.indexOf(entry), 1);
    }
    if (queue?.length === 0) this.sessionQueues.delete(sessionId);
    // The ended job reports first, so a session's next run never starts before its predecessor's end.
    this.options.onEnded(entry.job, end);
    if (next) this.admit(next);
    if (this.runningCount === 0) this.drained$.next();
  }
}
