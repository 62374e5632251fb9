import { ApprovalBook } from './runs/approvals.ts';
import { errorMessage, TributaryError } from './errors.ts';
import { CheckpointCipher } from './checkpoints/checkpoint-cipher.ts';
import { Checkpoints } from './checkpoints/checkpoints.ts';
import type { Config } from './config.ts';
import { EventHub } from './events/event-hub.ts';
import { EventLog } from './events/event-log.ts';
import type { EventBus } from './ports/event-bus.ts';
import type { RunJobQueue } from './ports/run-job-queue.ts';
import type { Plugin } from './plugins/plugin.ts';
import { PluginRegistry } from './plugins/plugin-registry.ts';
import { recentRuns, recentSince, type RecentRuns } from './runs/recent-runs.ts';
import type { RunStatus } from './runs/run.ts';
import { Runs } from './runs/runs.ts';
import type { SessionPolicy } from './sessions/session-policy.ts';
import type { Usage } from './sessions/session.ts';
import type { SessionStore, StatsQuery } from './store/session-store.ts';
import { Sessions } from './sessions/sessions.ts';
import { Sweeper } from './sessions/sweeper.ts';
import { noopTelemetry, type Telemetry } from './telemetry.ts';
import { silentLogger, type Logger } from './logger.ts';
import { WebhookDeliveries } from './webhooks/webhook-deliveries.ts';

/** The settings the core reads; a full {@link Config} fits. */
export type RuntimeConfig = Pick<
  Config,
  | 'CONCURRENCY_LIMIT'
  | 'IDLE_AFTER_SECONDS'
  | 'SESSION_TTL_SECONDS'
  | 'SWEEP_INTERVAL_SECONDS'
  | 'HISTORY_LIMIT'
  | 'MAX_SESSIONS_PER_USER'
  | 'SESSION_CAP_POLICY'
  | 'SHUTDOWN_TIMEOUT_MS'
  | 'DEFAULT_FLOW'
  | 'CHECKPOINT_KEY'
  | 'RUN_ON_WORKER_LOSS'
> &
  // Optional: a config without them (tests, embedders) has webhooks off.
  Partial<
    Pick<
      Config,
      | 'WEBHOOK_SECRET'
      | 'WEBHOOK_ALLOW_PRIVATE'
      | 'WEBHOOK_TIMEOUT_MS'
      | 'WEBHOOK_RETRY_FIRST_MS'
      | 'WEBHOOK_RETRY_FOR_MS'
      | 'LLM_URL'
      | 'LLM_MODEL'
      | 'LLM_API_KEY'
      | 'LLM_RECORD_CONTENT'
    >
  >;

export interface RuntimeOptions {
  config: RuntimeConfig;
  store: SessionStore;
  plugins?: readonly Plugin[];
  /** A registry already built and validated from the plugins (the platform checks one before it opens the store); replaces `plugins`. */
  registry?: PluginRegistry;
  telemetry?: Telemetry;
  /** Where core logs (pino fits); default {@link silentLogger}. */
  logger?: Logger;
  /**
   * How committed events reach live listeners: in-process by default; a cross-process bus (e.g.
   * `RedisEventBus`) when several processes share the store. The caller owns and closes it.
   */
  bus?: EventBus;
  /**
   * A run queue every process shares (`BullmqRunQueue` on Redis): runs become its jobs, executed by
   * worker processes (`runs.work()`). The caller closes it through `shutdown`. Without it, runs
   * execute in this process.
   */
  runQueue?: RunJobQueue;
  /** The fetch tools use (tests and the HTTP kit may pass their own). */
  fetch?: typeof fetch;
  /** Start the TTL sweeper's timer (default true; tests call `sweeper.sweep()` themselves). */
  sweep?: boolean;
}

/** `GET /v1/stats`: of every user, or of one (`Runtime.stats({ user_id })`). */
export interface Stats {
  total_sessions: number;
  active_sessions: number;
  idle_sessions: number;
  expired_sessions: number;
  avg_session_duration_s: number;
  runs_by_status: Record<RunStatus, number>;
  queue_depth: number;
  running_runs: number;
  /** Tokens spent by the sessions counted, summed from their `usage` (deleted sessions no longer count). */
  usage: Usage;
  /** The runs of the sessions counted that finished over the last minutes, from the store (every process's). */
  recent: RecentRuns;
}

/**
 * The composition root of the core: wires the store, event log and hub, sessions, runs,
 * checkpoints, approvals, the plugin registry and the sweeper, and shuts them down in order.
 *
 * @example
 * ```ts
 * const runtime = await Runtime.start({ config: loadConfig(process.env), store: new MemoryStore(), plugins: [shout, echoFlow] });
 * const session = await runtime.sessions.create({ user_id: 'ann' });
 * await runtime.runs.create(session.id, { input: { question: 'hi' }, flow: 'echo' });
 * runtime.events.events$(session.id).subscribe(console.log);
 * await runtime.shutdown();
 * ```
 */
export class Runtime {
  readonly registry: PluginRegistry;
  readonly events: EventHub;
  /**
   * @internal Core's write path, for core's parts and for tests and benches that append events;
   * transports read through `events`, `sessions` and `runs` (ESLint keeps them off it).
   */
  readonly log: EventLog;
  readonly sessions: Sessions;
  readonly runs: Runs;
  readonly checkpoints: Checkpoints;
  readonly approvals: ApprovalBook;
  readonly sweeper: Sweeper;
  readonly logger: Logger;
  /** Completion webhooks; undefined when WEBHOOK_SECRET is unset. */
  readonly webhooks: WebhookDeliveries | undefined;
  private stopped: Promise<void> | null = null;

  private constructor(
    /** @internal For core's parts, tests and benches; transports reach data only through core. */
    readonly store: SessionStore,
    private readonly options: RuntimeOptions,
  ) {
    const { config } = options;
    const telemetry = options.telemetry ?? noopTelemetry;
    this.logger = options.logger ?? silentLogger;
    const policy: SessionPolicy = {
      idleAfterMs: config.IDLE_AFTER_SECONDS * 1000,
      ttlMs: config.SESSION_TTL_SECONDS * 1000,
      maxPerUser: config.MAX_SESSIONS_PER_USER,
      capPolicy: config.SESSION_CAP_POLICY,
    };
    this.registry = options.registry ?? new PluginRegistry().register(...(options.plugins ?? [])).validate();
    this.events = new EventHub(store, config.HISTORY_LIMIT, options.bus);
    this.log = new EventLog(store, this.events);
    this.approvals = new ApprovalBook();
    // Called only once requests come in, by when `runs` exists.
    const isRunLive = (sessionId: string, runId: string) => this.runs.isLive(sessionId, runId);
    this.sessions = new Sessions({
      store,
      log: this.log,
      hub: this.events,
      telemetry,
      policy,
      isRunLive,
      progressElsewhere: (sessionId, draft) => this.runs.progressElsewhere(sessionId, draft),
    });
    this.checkpoints = new Checkpoints({
      store,
      log: this.log,
      sessions: this.sessions,
      cipher: new CheckpointCipher(config.CHECKPOINT_KEY),
      policy,
      isRunLive,
    });
    const secret = config.WEBHOOK_SECRET;
    this.webhooks =
      secret &&
      new WebhookDeliveries({
        key: secret,
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE ?? false,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS ?? 10_000,
        retryFirstMs: config.WEBHOOK_RETRY_FIRST_MS ?? 1_000,
        retryForMs: config.WEBHOOK_RETRY_FOR_MS ?? 900_000,
        logger: this.logger.child({ component: 'webhooks' }),
        // Not a run's event (`run_id` null, `meta.run_id`): the run's terminal event stays its last.
        // Refused in a session that expired meanwhile: `session.expired` stays its last event.
        record: (sessionId, traceId, draft) =>
          this.log.commit({
            session_id: sessionId,
            trace_id: traceId,
            events: [{ ...draft, run_id: null }],
            patch: (current) => {
              if (current.state === 'expired')
                throw new TributaryError('INVALID_STATE', `session ${sessionId} has expired`);
              return {};
            },
          }),
      });
    this.runs = new Runs({
      store,
      log: this.log,
      sessions: this.sessions,
      checkpoints: this.checkpoints,
      registry: this.registry,
      approvals: this.approvals,
      telemetry,
      logger: this.logger,
      policy,
      concurrency: config.CONCURRENCY_LIMIT,
      defaultFlow: config.DEFAULT_FLOW,
      fetch: options.fetch,
      llm:
        config.LLM_URL === undefined
          ? undefined
          : {
              url: config.LLM_URL,
              model: config.LLM_MODEL,
              apiKey: config.LLM_API_KEY,
              recordContent: config.LLM_RECORD_CONTENT,
            },
      webhooks: this.webhooks,
      cluster: options.runQueue && {
        queue: options.runQueue,
        onWorkerLoss: config.RUN_ON_WORKER_LOSS ?? 'fail',
      },
    });
    this.sessions.beforeRemove = (ids) => this.runs.cancelSessions(ids, 'session deleted');
    this.sweeper = new Sweeper({
      store,
      sessions: this.sessions,
      log: this.log,
      policy,
      busySessions: () => this.runs.busySessions(),
      intervalMs: config.SWEEP_INTERVAL_SECONDS * 1000,
      logger: this.logger,
    });
  }

  /**
   * Registers plugins (a bad one throws its coded error), recovers interrupted runs, starts the sweeper.
   * On a shared store (Redis) the runs left `queued` or `running` may be other live processes' own, so
   * none is recovered here: a run of a process that died stays `running` until worker-loss
   * detection (distributed runs) ends it.
   */
  static async start(options: RuntimeOptions): Promise<Runtime> {
    const runtime = new Runtime(options.store, options);
    if (options.store.shared) {
      runtime.logger.info(
        { store: options.store.kind },
        'shared store: interrupted runs are not recovered at start (other processes may be running them)',
      );
    } else {
      const interrupted = await runtime.runs.recoverInterrupted();
      if (interrupted > 0)
        runtime.logger.warn({ interrupted }, 'runs interrupted by the last stop were marked failed');
    }
    if (options.sweep !== false) runtime.sweeper.start();
    return runtime;
  }

  /** The store's kind (`memory`, `sqlite`), as `/readyz` and the start line name it. */
  get storeKind(): string {
    return this.store.kind;
  }

  /**
   * Resolves when the store answers; STORE_UNAVAILABLE naming the store when it does not (`/readyz`).
   *
   * @example
   * ```ts
   * await runtime.checkStore(); // throws TributaryError('STORE_UNAVAILABLE') while the database is down
   * ```
   */
  async checkStore(): Promise<void> {
    try {
      await this.store.ping();
    } catch (error) {
      throw new TributaryError(
        'STORE_UNAVAILABLE',
        `store ${this.store.kind} is unreachable: ${errorMessage(error)}`,
      );
    }
  }

  /**
   * Sessions, runs and the scheduler now. With `user_id`, only that user's: their sessions, those
   * sessions' runs, and their runs queued or running in this process. On a shared store (Redis) the
   * queued and running runs are counted from the store instead, so every process answers the same.
   */
  async stats(query: StatsQuery = {}): Promise<Stats> {
    const now = Date.now();
    const [stats, finished] = await Promise.all([
      this.store.stats(query),
      this.store.finishedRuns({ since: recentSince(now), ...query }),
    ]);
    const byState = stats.sessions_by_state;
    const live = this.store.shared
      ? stats.runs_by_status
      : query.user_id === undefined
        ? { queued: this.runs.queued, running: this.runs.running }
        : this.runs.countsOf(query.user_id);
    return {
      total_sessions: byState.active + byState.idle + byState.archived + byState.expired,
      active_sessions: byState.active,
      idle_sessions: byState.idle,
      expired_sessions: byState.expired,
      avg_session_duration_s: stats.avg_session_duration_s,
      runs_by_status: stats.runs_by_status,
      queue_depth: live.queued,
      running_runs: live.running,
      usage: stats.usage,
      recent: recentRuns(finished, now),
    };
  }

  /**
   * Graceful stop: no new runs, running ones get `SHUTDOWN_TIMEOUT_MS` to finish and are cancelled
   * after, every event is stored, then the store closes. Safe to call twice.
   */
  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      this.sweeper.stop();
      await this.runs.shutdown(this.options.config.SHUTDOWN_TIMEOUT_MS);
      // After the runs: those that ended while draining still get their first attempt.
      await this.webhooks?.close();
      await this.log.flush();
      await this.store.close();
    })();
    return this.stopped;
  }
}
