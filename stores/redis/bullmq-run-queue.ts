import { randomUUID } from 'node:crypto';
import { Queue, Relay, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  errorMessage,
  isTributaryError,
  TributaryError,
  type Logger,
  type MultitaskStrategy,
  type RunAdmission,
  type RunCommand,
  type RunCommandReply,
  type RunJob,
  type RunJobHandler,
  type RunJobQueue,
} from '../../core/index.ts';
import type { RedisStore } from './redis-store.ts';
import { LEAVE_SCRIPT, RELEASE_SCRIPT, STORED_SCRIPT, SUBMIT_SCRIPT } from './run-line-scripts.ts';

export interface BullmqRunQueueOptions {
  /** CONCURRENCY_LIMIT: runs executing at once across every worker (BullMQ global concurrency). */
  globalConcurrency: number;
  /** WORKER_CONCURRENCY: runs one worker process executes at once. */
  workerConcurrency: number;
  /** RUN_ON_WORKER_LOSS: `retry` starts a lost worker's run once more on another worker; `fail` never. */
  onWorkerLoss: 'fail' | 'retry';
  /** BullMQ `lockDuration`: a worker's lock on a job lives this long unless renewed (half of it). */
  lockMs: number;
  /** BullMQ `stalledInterval`: how often workers look for jobs whose lock expired. */
  stalledIntervalMs: number;
  logger: Logger;
}

/** The queue's name under `<REDIS_PREFIX>bull`. */
export const RUNS_QUEUE = 'runs';
/** The Relay topic cancels go out on; every worker listens. */
const CANCEL_TOPIC = 'runs.cancel';
/** The Relay topic of commands for the worker executing a run; replies go to `runs.reply.<node>`. */
const ASK_TOPIC = 'runs.ask';
/** How long `ask` waits for the executing worker's reply before it concludes none holds the run. */
const ASK_TIMEOUT_MS = 1_000;
/** How long closing waits for Redis once the runs have ended, before it drops the connections. */
const CLOSE_GRACE_MS = 2_000;
/** How often a worker looks for cancel markers of the runs it executes (should a Relay message be lost). */
const MARKER_CHECK_MS = 1_000;
/** How long a cancel marker waits for a run that is being handed to a worker. */
const CANCEL_MARKER_SECONDS = 3_600;
/** BullMQ's reason for a job it failed because its worker stopped renewing the lock. */
const LOST = /stalled more than allowable limit|started more than allowable limit/;

interface LineCommands {
  runSubmit(...args: string[]): Promise<[string, string, number?]>;
  runStored(...args: string[]): Promise<number>;
  runRelease(...args: string[]): Promise<[string, string, number] | null>;
  runLeave(...args: string[]): Promise<'removed' | 'head' | 'absent'>;
}

/**
 * The cluster's run queue on Redis: BullMQ for the jobs (one global concurrency limit, per-worker
 * concurrency, stalled-job detection, cancel through `Worker.cancelJob` reached from any node over
 * BullMQ's `Relay`), plus a line per session in Redis (Lua, see `run-line-scripts.ts`) so a session
 * has one active run and `multitask` is decided atomically. Every key is under the store's prefix.
 *
 * @example
 * ```ts
 * const queue = new BullmqRunQueue(store, { globalConcurrency: 3, workerConcurrency: 2, onWorkerLoss: 'fail', lockMs: 30_000, stalledIntervalMs: 30_000, logger });
 * const runtime = await Runtime.start({ config, store, runQueue: queue, … });
 * await runtime.runs.work(); // worker processes
 * ```
 */
export class BullmqRunQueue implements RunJobQueue {
  private readonly queue: Queue;
  private readonly relay: Relay;
  private readonly redis: Redis & LineCommands;
  private readonly prefix: string;
  private readonly connection: Record<string, unknown>;
  private worker: Worker | undefined;
  private readonly stopping = new AbortController();
  /**
   * Whether the global concurrency limit is set. Queueing a run does not wait for it (BullMQ's own
   * connection waits for Redis for ever); a worker does, before it takes a job.
   */
  private ready: Promise<boolean>;
  /** The runs this process executes, by run id: their cancel, whichever way it arrives. */
  private readonly executing = new Map<string, AbortController>();
  private markerCheck: NodeJS.Timeout | undefined;
  private readonly whenIdle: (() => void)[] = [];
  private closed: Promise<void> | undefined;
  /** Replies awaited by `ask`, by request id; subscribed on first use. */
  private readonly replies = new Map<string, (reply: RunCommandReply) => void>();
  private repliesSubscribed: Promise<unknown> | undefined;

  constructor(
    store: RedisStore,
    private readonly options: BullmqRunQueueOptions,
  ) {
    this.prefix = store.prefix;
    const bullPrefix = `${store.prefix}bull`;
    // BullMQ's blocking reads need commands that wait for a reconnect instead of failing.
    this.connection = {
      ...store.redis.options,
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: true,
    };
    this.queue = new Queue(RUNS_QUEUE, { connection: this.connection, prefix: bullPrefix });
    this.relay = new Relay({ connection: this.connection, prefix: bullPrefix, namespace: RUNS_QUEUE });
    this.redis = store.redis.duplicate({ autoResendUnfulfilledCommands: true }) as Redis & LineCommands;
    this.redis.defineCommand('runSubmit', { numberOfKeys: 6, lua: SUBMIT_SCRIPT });
    this.redis.defineCommand('runStored', { numberOfKeys: 3, lua: STORED_SCRIPT });
    this.redis.defineCommand('runRelease', { numberOfKeys: 4, lua: RELEASE_SCRIPT });
    this.redis.defineCommand('runLeave', { numberOfKeys: 3, lua: LEAVE_SCRIPT });
    const warn = (part: string) => (error: unknown) =>
      options.logger.warn({ err: errorMessage(error), part }, 'run queue: Redis error');
    this.queue.on('error', warn('queue'));
    this.relay.on('error', warn('relay'));
    this.redis.on('error', warn('lines'));
    this.ready = this.setConcurrency();
  }

  /** Sets the cluster's limit (the last process to start sets it); false, and logged, when Redis refused. */
  private setConcurrency(): Promise<boolean> {
    return this.queue.setGlobalConcurrency(this.options.globalConcurrency).then(
      () => true,
      (error: unknown) => {
        this.options.logger.warn(
          { err: errorMessage(error) },
          'run queue: the global concurrency is not set yet',
        );
        return false;
      },
    );
  }

  async submit(
    job: RunJob,
    multitask: MultitaskStrategy,
    write: (admission: RunAdmission) => Promise<void>,
  ): Promise<{ interrupted?: string }> {
    const [kind, holder, position] = await this.answered(
      this.redis.runSubmit(
        this.key('runs:line:', job.sessionId),
        this.key('runs:jobs'),
        this.key('runs:state'),
        this.key('runs:user:', job.userId),
        this.bullKey('wait'),
        this.bullKey('prioritized'),
        job.runId,
        multitask,
        JSON.stringify(job),
      ),
    );
    if (kind === 'busy') {
      throw new TributaryError('SESSION_BUSY', `session ${job.sessionId} has an active run ${holder}`, {
        field: 'multitask',
        details: { active_run_id: holder },
      });
    }
    try {
      await write({
        position: position ?? 1,
        reason: kind === 'head' ? 'concurrency_limit' : 'session_busy',
      });
    } catch (error) {
      await this.release(job).catch(() => undefined);
      throw error;
    }
    const priority = await this.answered(
      this.redis.runStored(
        this.key('runs:line:', job.sessionId),
        this.key('runs:state'),
        this.key('runs:user:', job.userId),
        job.runId,
      ),
    );
    if (priority > 0) await this.add(job, priority);
    return kind === 'interrupt' ? { interrupted: holder } : {};
  }

  async cancel(
    job: RunJob,
    reason: string,
    ended: (submitted: RunJob) => Promise<void>,
  ): Promise<'removed' | 'signalled'> {
    // Seen by the worker that takes the job next, should the job be between queue and worker now.
    await this.answered(
      this.redis.set(this.key('runs:cancel:', job.runId), reason, 'EX', CANCEL_MARKER_SECONDS),
    );
    // The job as the api node submitted it (its webhook): kept until the run leaves its line.
    const data = await this.answered(this.redis.hget(this.key('runs:jobs'), job.runId));
    const submitted = data ? (JSON.parse(data) as RunJob) : job;
    const left = await this.answered(
      this.redis.runLeave(
        this.key('runs:line:', job.sessionId),
        this.key('runs:jobs'),
        this.key('runs:state'),
        job.runId,
      ),
    );
    if (left === 'removed') {
      await ended(submitted);
      // It never reaches a worker: nothing will read its marker.
      await this.redis.del(this.key('runs:cancel:', job.runId));
      return 'removed';
    }
    // At the head: a job waiting for a slot is removed (1), an active one is locked (0).
    if (left === 'head' && (await this.answered(this.queue.remove(job.runId))) === 1) {
      await this.answered(this.redis.srem(this.key('runs:user:', job.userId), job.runId));
      await ended(submitted);
      await this.release(job);
      return 'removed';
    }
    // Every worker hears it; the one executing the run aborts its signal (Worker.cancelJob).
    await this.answered(this.relay.publish(CANCEL_TOPIC, { runId: job.runId, reason }));
    return 'signalled';
  }

  async ask(runId: string, command: RunCommand): Promise<RunCommandReply | undefined> {
    const node = this.relay.nodeId;
    this.repliesSubscribed ??= this.relay.subscribe<{ id: string; reply: RunCommandReply }>(
      `runs.reply.${node}`,
      ({ data }) => this.replies.get(data.id)?.(data.reply),
    );
    await this.repliesSubscribed;
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<RunCommandReply | undefined>((resolve) => {
      this.replies.set(id, resolve);
      timer = setTimeout(() => resolve(undefined), ASK_TIMEOUT_MS);
    });
    try {
      await this.answered(this.relay.publish(ASK_TOPIC, { id, node, runId, command }));
      return await reply;
    } finally {
      clearTimeout(timer);
      this.replies.delete(id);
    }
  }

  async holder(sessionId: string): Promise<string | undefined> {
    return (await this.answered(this.redis.lindex(this.key('runs:line:', sessionId), 0))) ?? undefined;
  }

  get running(): number {
    return this.executing.size;
  }

  async process(handler: RunJobHandler): Promise<void> {
    if (this.worker) return;
    const { options } = this;
    const worker = new Worker(
      RUNS_QUEUE,
      // Three parameters: BullMQ passes the job's AbortSignal only to a processor that declares it.
      (job: Job<RunJob>, token?: string, signal?: AbortSignal) => this.execute(handler, job, token, signal),
      {
        connection: this.connection,
        prefix: `${this.prefix}bull`,
        concurrency: options.workerConcurrency,
        lockDuration: options.lockMs,
        stalledInterval: options.stalledIntervalMs,
        // `fail`: a stalled job is failed by the next worker that takes it, never executed again.
        maxStalledCount: options.onWorkerLoss === 'retry' ? 1 : 0,
        removeOnComplete: { count: 0 },
        removeOnFail: { age: 3_600 },
        // Started below, once it listens for cancels: no job runs before its cancel can reach it.
        autorun: false,
      },
    );
    this.worker = worker;
    worker.on('error', (error: unknown) =>
      options.logger.warn({ err: errorMessage(error) }, 'run queue worker: Redis error'),
    );
    worker.on('failed', (job: Job<RunJob> | undefined, error: Error) => {
      if (!job) return;
      void this.failed(handler, job.data, error).catch((failure: unknown) =>
        options.logger.error({ err: failure, run_id: job.data.runId }, 'run queue: ending a lost run failed'),
      );
    });
    await this.relay.subscribe<{ runId: string; reason: string }>(CANCEL_TOPIC, ({ data }) => {
      worker.cancelJob(data.runId, data.reason);
    });
    // Only the worker executing the run answers; the others stay silent.
    await this.relay.subscribe<{ id: string; node: string; runId: string; command: RunCommand }>(
      ASK_TOPIC,
      async ({ data }) => {
        const reply = await handler
          .answer(data.runId, data.command)
          .catch((error: unknown): RunCommandReply => ({
            ok: false,
            error: { code: 'INVALID_STATE', message: errorMessage(error) },
          }));
        if (reply) await this.relay.publish(`runs.reply.${data.node}`, { id: data.id, reply });
      },
    );
    // The safety net under the Relay: a cancel whose message a worker missed still reaches it.
    // The cluster's limit is in place before this worker takes its first job.
    if (!(await this.ready)) {
      this.ready = this.setConcurrency();
      if (!(await this.ready))
        throw new TributaryError('STORE_UNAVAILABLE', 'the run queue could not set its concurrency limit');
    }
    this.markerCheck = setInterval(() => void this.checkMarkers(), MARKER_CHECK_MS);
    this.markerCheck.unref();
    void worker
      .run()
      .catch((error: unknown) =>
        options.logger.error({ err: errorMessage(error) }, 'run queue worker stopped'),
      );
    await worker.waitUntilReady();
  }

  /** Aborts the runs executing here whose cancel marker is set. */
  private async checkMarkers(): Promise<void> {
    const ids = [...this.executing.keys()];
    if (ids.length === 0) return;
    const markers = await this.redis.mget(ids.map((id) => this.key('runs:cancel:', id))).catch(() => []);
    markers.forEach((reason, i) => {
      if (reason !== null && reason !== undefined) this.executing.get(ids[i]!)?.abort(reason);
    });
  }

  close(drainMs: number): Promise<void> {
    this.closed ??= this.shut(drainMs);
    return this.closed;
  }

  private async shut(drainMs: number): Promise<void> {
    clearInterval(this.markerCheck);
    const worker = this.worker;
    if (worker) {
      // Stop taking jobs and let running ones end; past drainMs they are stopped (handed back or failed).
      const closed = worker.close();
      const timer = setTimeout(() => this.stopping.abort(), drainMs);
      await Promise.race([closed, this.idle().then(() => pause(CLOSE_GRACE_MS))]);
      clearTimeout(timer);
    }
    // With Redis away a graceful close would wait for it for ever: past a grace period, let go.
    const closed = await Promise.race([
      Promise.allSettled([this.relay.close(), this.queue.close(), this.redis.quit()]).then(() => true),
      pause(CLOSE_GRACE_MS).then(() => false),
    ]);
    if (!closed) {
      this.options.logger.warn('run queue: Redis did not answer while closing; connections dropped');
      this.redis.disconnect();
      // BullMQ's disconnect waits for a connection first: bounded too.
      await Promise.race([
        Promise.allSettled([worker?.disconnect(), this.queue.disconnect()]),
        pause(CLOSE_GRACE_MS),
      ]);
    }
  }

  /** Resolves once no run executes in this process. */
  private idle(): Promise<void> {
    if (this.executing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenIdle.push(resolve));
  }

  private async execute(
    handler: RunJobHandler,
    job: Job<RunJob>,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const data = job.data;
    const own = new AbortController();
    this.executing.set(data.runId, own);
    try {
      signal?.addEventListener('abort', () => own.abort(signal.reason), { once: true });
      // Its user has one run fewer waiting (their next one is not ranked behind this one), and a
      // cancel may have come before the job: one round trip for both.
      const [, [, marker] = []] =
        (await this.redis
          .pipeline()
          .srem(this.key('runs:user:', data.userId), data.runId)
          .get(this.key('runs:cancel:', data.runId))
          .exec()) ?? [];
      if (typeof marker === 'string') own.abort(marker);
      const result = await handler.execute(data, {
        signal: own.signal,
        attempt: job.attemptsStarted,
        stopping: this.stopping.signal,
      });
      if (result === 'handed_back') {
        // Back without a priority: BullMQ takes its wait list before any prioritized job, so a run that
        // already started keeps its turn (as a stalled job BullMQ moves back itself does).
        await job.changePriority({ priority: 0 });
        await job.moveToWait(token);
        throw new WaitingError();
      }
      await this.release(data);
    } catch (error) {
      if (error instanceof WaitingError) throw error;
      // The handler does not fail for a run's own failure: this is the store or a bug. No retry loop.
      throw new UnrecoverableError(errorMessage(error));
    } finally {
      this.executing.delete(data.runId);
      if (this.executing.size === 0) this.whenIdle.splice(0).forEach((resolve) => resolve());
    }
  }

  /** A job BullMQ failed: lost with its worker (stalled), or its processor threw. Its run ends failed. */
  private async failed(handler: RunJobHandler, job: RunJob, error: Error): Promise<void> {
    const why = LOST.test(error.message)
      ? 'its worker was lost before the run ended'
      : `its worker failed: ${error.message}`;
    await handler.lost(job, why);
    await this.release(job);
  }

  /** The run leaves its line; the session's next run, when stored, becomes a job. */
  private async release(job: RunJob): Promise<void> {
    const next = await this.redis.runRelease(
      this.key('runs:line:', job.sessionId),
      this.key('runs:jobs'),
      this.key('runs:state'),
      this.key('runs:cancel:', job.runId),
      job.runId,
      this.key('runs:user:'),
    );
    if (next) await this.add(JSON.parse(next[1]) as RunJob, next[2]);
  }

  private async add(job: RunJob, priority: number): Promise<void> {
    await this.answered(this.queue.add('run', job, { jobId: job.runId, priority, attempts: 1 }));
  }

  /** A Redis call of the queue's: its failure is STORE_UNAVAILABLE (HTTP 503), as the store's are. */
  private async answered<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (isTributaryError(error)) throw error;
      throw new TributaryError('STORE_UNAVAILABLE', 'the run queue did not answer: Redis is unavailable', {
        cause: error,
      });
    }
  }

  private key(name: string, id = ''): string {
    return `${this.prefix}${name}${id}`;
  }

  private bullKey(name: string): string {
    return `${this.prefix}bull:${RUNS_QUEUE}:${name}`;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
