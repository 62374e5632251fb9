import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pino, type Logger } from 'pino';
import {
  loadConfig,
  loadPlugins,
  PluginRegistry,
  Runtime,
  TributaryError,
  unknownSettings,
  type Config,
  type Plugin,
  type SessionStore,
  type Telemetry,
} from '../core/index.ts';
import { BullmqRunQueue, openStore, RedisStore } from '../stores/index.ts';
import { redisCluster } from './redis-cluster.ts';
import { builtinPlugins } from '../plugins/builtin.ts';
import { startDemoBackends } from '../demo-backends/index.ts';
import { createGateway } from '../gateway/app.ts';
import { instrumentPlatform, otelTelemetryIfEnabled } from '../otel/index.ts';
import { metricsRoute } from '../gateway/http/metrics-route.ts';
import { createRequestLimiter } from '../gateway/http/request-limiter.ts';
import { HttpProblem, toProblem } from '../gateway/http/problem.ts';
import type { BridgeServer } from '../gateway/socket/bridge-server.ts';
import { attachSocketBridge } from '../gateway/socket/socket-bridge.ts';

export interface Platform {
  config: Config;
  runtime: Runtime;
  server: Server;
  /** The Socket.IO bridge on `server`: session events to rooms `session:<id>`; none on a ROLE=worker process. */
  io: BridgeServer | undefined;
  /** Where the gateway listens, e.g. `http://127.0.0.1:3000`. */
  url: string;
  logger: Logger;
  /** Graceful stop: no new requests or runs, running runs drained or cancelled, events stored, store closed. */
  close(): Promise<void>;
}

export interface PlatformOptions {
  logger?: Logger;
  store?: SessionStore;
  telemetry?: Telemetry;
  validateResponses?: boolean;
  heartbeatMs?: number;
  /** How long a session's Socket.IO channel outlives its last member (default: the recovery window, 2 min). */
  socketGraceMs?: number;
}

/**
 * Boots everything `npm start` runs, in this order, each step checked before the next one changes
 * anything: config (unknown-looking names warned about), demo backends (when RAG_URL / EXAM_URL are
 * unset), built-in and external plugins with DEFAULT_FLOW among them, the HTTP port (answering 503
 * until ready), the store (SQLite: owned by this process, STORE_LOCKED if another holds it; Redis:
 * answering a PING, STORE_UNAVAILABLE naming REDIS_URL if it does not), the core
 * runtime (which recovers interrupted runs), the gateway's routes and the Socket.IO bridge.
 * A bad setting, plugin, host or port stops the start before the SQLite file is created or touched.
 *
 * @example
 * ```ts
 * const platform = await startPlatform({ ...process.env, PORT: '0' });
 * console.log(platform.url); // http://127.0.0.1:49152
 * await platform.close();
 * ```
 */
export async function startPlatform(
  env: Readonly<Record<string, string | undefined>>,
  options: PlatformOptions = {},
): Promise<Platform> {
  const config = loadConfig(env);
  const logger = options.logger ?? pino({ level: config.LOG_LEVEL });
  for (const warning of unknownSettings(env)) logger.warn(warning);
  const stops = new StopList(logger);
  try {
    const demo =
      config.RAG_URL && config.EXAM_URL
        ? undefined
        : await startDemoBackends({ env, logger: logger.child({ component: 'demo-backends' }) });
    if (demo) {
      stops.push('demo backends', () => demo.close());
      logger.info(
        { rag_url: demo.ragUrl, exam_url: demo.examUrl },
        'RAG_URL / EXAM_URL unset: using the bundled demo backends (demo data)',
      );
    }
    const plugins = [
      ...builtinPlugins({
        ragUrl: config.RAG_URL ?? demo!.ragUrl,
        examUrl: config.EXAM_URL ?? demo!.examUrl,
      }),
      ...(await loadPlugins(config.PLUGINS)),
    ];
    const registry = validatedRegistry(plugins, config.DEFAULT_FLOW);

    // The port is bound before the store is opened: a second start on a taken port stops here,
    // before it could touch (recover) the runs of the process already serving.
    let handle = answerStarting;
    const server = createServer((request, response) => handle(request, response));
    await listen(server, config.PORT, config.HOST);
    const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
    stops.push('HTTP server', async () => {
      if (server.listening) server.close();
      // Streams (SSE) stay open until told: by now everything is stored, so end them.
      server.closeAllConnections();
      await closed;
    });

    const store = options.store ?? (await openStore(config, logger));
    // On Redis, events and socket broadcasts cross processes: every node serves every session.
    const cluster = store instanceof RedisStore ? redisCluster(store, logger) : undefined;
    // Before the store's step, so it stops after the runtime that uses its bus.
    if (cluster) stops.push('live events across processes', () => cluster.close());
    // On Redis, runs are BullMQ jobs: api processes queue them, worker processes execute them.
    const runQueue =
      store instanceof RedisStore
        ? new BullmqRunQueue(store, {
            globalConcurrency: config.CONCURRENCY_LIMIT,
            workerConcurrency: config.WORKER_CONCURRENCY,
            onWorkerLoss: config.RUN_ON_WORKER_LOSS,
            lockMs: config.WORKER_LOCK_MS,
            stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
            logger: logger.child({ component: 'run-queue' }),
          })
        : undefined;
    // The runtime closes it; this step only matters when the start fails before the runtime exists.
    if (runQueue) stops.push('run queue', () => runQueue.close(0));
    stops.push('store', () => store.close());
    const telemetry = options.telemetry ?? otelTelemetryIfEnabled();
    const runtime = await Runtime.start({
      config,
      store,
      registry,
      logger,
      telemetry,
      bus: cluster?.bus,
      runQueue,
    });
    // The runtime closes the store it was given.
    stops.replaceLast('runtime', () => runtime.shutdown());
    // Metrics (and `GET /metrics` with METRICS_PROMETHEUS); they stop, and buffered spans go out, after
    // the runtime's last events.
    const otel = instrumentPlatform(runtime, { prometheus: config.METRICS_PROMETHEUS });
    stops.replaceLast('runtime and metrics', async () => {
      await runtime.shutdown();
      await otel.close();
    });
    // A worker serves only its health probes: no API, no sockets, nothing to rate-limit.
    const worker = config.ROLE === 'worker';
    // RATE_LIMIT: counted in Redis when the store is (every node shares each caller's count), else here.
    const limiter =
      config.RATE_LIMIT && !worker
        ? await createRequestLimiter({
            limit: config.RATE_LIMIT,
            redis: store instanceof RedisStore ? store.redis.duplicate() : undefined,
            keyPrefix: store instanceof RedisStore ? `${store.prefix}ratelimit` : undefined,
            logger: logger.child({ component: 'rate-limit' }),
          })
        : undefined;
    if (limiter) stops.push('rate limiter', () => limiter.close());
    if (config.API_KEYS.size === 0 && !worker)
      logger.warn('API_KEYS unset: the gateway is open to anyone who can reach it (fine for local use)');
    const app = createGateway({
      runtime,
      logger,
      apiKeys: config.API_KEYS,
      internalToken: config.INTERNAL_TOKEN,
      bodyLimit: config.BODY_LIMIT,
      corsOrigins: config.CORS_ORIGINS,
      validateResponses: options.validateResponses,
      heartbeatMs: options.heartbeatMs,
      jaegerUiUrl: config.JAEGER_UI_URL,
      limiter,
      operations: worker ? 'health' : 'all',
    });
    // After the router, so only unmatched requests reach `/metrics`.
    app.use(metricsRoute(otel.metrics));
    const sockets = worker
      ? undefined
      : attachSocketBridge(server, {
          runtime,
          logger,
          apiKeys: config.API_KEYS,
          corsOrigins: config.CORS_ORIGINS,
          graceMs: options.socketGraceMs,
          adapter: cluster?.socketAdapter,
          limiter,
        });
    // Sockets before the runtime: their core subscriptions end first.
    if (sockets) stops.push('Socket.IO bridge', () => sockets.close());
    stops.push('new requests', async () => {
      server.close();
      server.closeIdleConnections();
    });
    if (runQueue && config.ROLE !== 'api') await runtime.runs.work();
    const koa = app.callback();
    // Koa answers its own errors: the promise its handler returns never rejects.
    handle = (request, response) => void koa(request, response);

    const { port } = server.address() as AddressInfo;
    const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
    return { config, runtime, server, io: sockets?.io, url, logger, close: () => stops.close() };
  } catch (error) {
    await stops.close().catch(() => undefined);
    throw error;
  }
}

/**
 * What the platform started, in order; `close` stops it all in reverse, once, whether the start
 * failed half way or the platform is shutting down gracefully (one list, one order).
 */
class StopList {
  private readonly steps: { name: string; stop: () => Promise<void> }[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  push(name: string, stop: () => Promise<void>): void {
    this.steps.push({ name, stop });
  }

  /** The last step is superseded by one that stops it too (the runtime closes the store it owns). */
  replaceLast(name: string, stop: () => Promise<void>): void {
    this.steps.splice(-1, 1, { name, stop });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      let failure: unknown;
      for (const { name, stop } of [...this.steps].reverse()) {
        try {
          await stop();
        } catch (error) {
          // The other steps still run: a failed one must not leave the port or the store file held.
          this.logger.error({ err: error, step: name }, 'stopping failed');
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
    })();
    return this.closing;
  }
}

/**
 * The plugins registered and validated (schemas, duplicates, dependencies) before anything is written,
 * with DEFAULT_FLOW among the flows, or every run that names none would fail later. The runtime uses
 * this registry as it is.
 */
function validatedRegistry(plugins: readonly Plugin[], defaultFlow: string): PluginRegistry {
  const registry = new PluginRegistry().register(...plugins).validate();
  if (!registry.hasFlow(defaultFlow)) {
    const flows = registry.flows().map((flow) => flow.name);
    throw new TributaryError(
      'CONFIG_INVALID',
      `DEFAULT_FLOW: no flow named ${JSON.stringify(defaultFlow)} is registered (flows: ${flows.join(', ')})`,
      { field: 'DEFAULT_FLOW' },
    );
  }
  return registry;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Requests that arrive while the store opens and interrupted runs are recovered. */
function answerStarting(_request: IncomingMessage, response: ServerResponse): void {
  const problem = toProblem(
    new HttpProblem('STARTING', 'the server is starting; try again in a moment'),
    randomUUID(),
  );
  response.writeHead(503, { 'Content-Type': 'application/problem+json', 'Retry-After': '1' });
  response.end(JSON.stringify(problem));
}
