import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino, type Logger } from 'pino';
import {
  loadConfig,
  loadPlugins,
  openStore,
  Runtime,
  type Config,
  type SessionStore,
  type Telemetry,
} from '../core/index.ts';
import { builtinPlugins } from '../plugins/builtin.ts';
import { startDemoBackends } from '../plugins/demo-backends/index.ts';
import { createGateway } from './app.ts';
import { instrumentPlatform, otelTelemetryIfEnabled } from '../otel/index.ts';
import type { BridgeServer } from './socket/bridge-server.ts';
import { attachSocketBridge } from './socket/socket-bridge.ts';

export interface Platform {
  config: Config;
  runtime: Runtime;
  server: Server;
  /** The Socket.IO bridge on `server`: session events to rooms `session:<id>`. */
  io: BridgeServer;
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
 * Boots everything `npm start` runs: config, store, demo backends (when RAG_URL / EXAM_URL are unset),
 * built-in and external plugins, the core runtime and the HTTP gateway.
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
  // What is started so far, undone in reverse if a later step fails, so a refused start leaks nothing.
  const undo: Array<() => Promise<void>> = [];
  try {
    const demo =
      config.RAG_URL && config.EXAM_URL
        ? undefined
        : await startDemoBackends({ env, logger: logger.child({ component: 'demo-backends' }) });
    if (demo) {
      undo.push(() => demo.close());
      logger.info(
        { rag_url: demo.ragUrl, exam_url: demo.examUrl },
        'RAG_URL / EXAM_URL unset: using the bundled demo backends (demo data)',
      );
    }
    const store = options.store ?? (await openStore(config));
    undo.push(() => store.close());
    const plugins = [
      ...builtinPlugins({
        ragUrl: config.RAG_URL ?? demo!.ragUrl,
        examUrl: config.EXAM_URL ?? demo!.examUrl,
        llmUrl: config.LLM_URL,
      }),
      ...(await loadPlugins(config.PLUGINS)),
    ];
    const telemetry = options.telemetry ?? otelTelemetryIfEnabled();
    const runtime = await Runtime.start({ config, store, plugins, logger, telemetry });
    // The runtime closes the store when it shuts down.
    undo.splice(undo.length - 1, 1, () => runtime.shutdown());
    if (config.API_KEYS.size === 0)
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
    });
    // Metrics (and `GET /metrics` with METRICS_PROMETHEUS); after the router, so only unmatched requests reach it.
    const otel = instrumentPlatform(runtime, { prometheus: config.METRICS_PROMETHEUS });
    undo.push(() => otel.close());
    app.use(otel.middleware);
    const server = app.listen(config.PORT, config.HOST);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    undo.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const sockets = attachSocketBridge(server, {
      runtime,
      logger,
      apiKeys: config.API_KEYS,
      corsOrigins: config.CORS_ORIGINS,
      graceMs: options.socketGraceMs,
    });
    undo.push(() => sockets.close());
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Sockets first: their core subscriptions end before the runtime does.
        await sockets.close();
        await runtime.shutdown();
        // Stops the metrics and sends buffered spans before the process exits.
        await otel.close();
        // Streams (SSE) stay open until told: the runtime has stored everything, so end them now.
        server.closeAllConnections();
        await stopped;
        await demo?.close();
      })());
    return { config, runtime, server, io: sockets.io, url, logger, close };
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
}
