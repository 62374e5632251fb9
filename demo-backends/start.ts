import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { DemoService } from './demo-app.ts';
import { DEFAULT_DEMO_HOST, readDemoFaults } from './demo-env.ts';
import { createExamApp } from './exam-app.ts';
import type { FaultOptions } from './fault-injection.ts';
import { createRagApp } from './rag-app.ts';

export { DEFAULT_DEMO_HOST };

export interface DemoBackendsOptions extends FaultOptions {
  /**
   * An environment to read `DEMO_LATENCY_MS` and `DEMO_FAILURE_RATE` from (see `readDemoFaults`; a bad
   * value throws `CONFIG_INVALID` naming it), e.g. the one the platform gets. `latencyMs` and
   * `failureRate` given here win over it.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Interface to listen on; `127.0.0.1` by default. */
  host?: string;
  /** Port of the demo RAG backend; 0 (the default) picks a free one. */
  ragPort?: number;
  /** Port of the demo exam backend; 0 (the default) picks a free one. */
  examPort?: number;
  /** Gets one `demo backend listening` line per backend; silent by default. */
  logger?: Logger;
}

/** Two running demo backends: their base URLs (for `RAG_URL` / `EXAM_URL`) and how to stop them. */
export interface DemoBackends {
  /** E.g. `http://127.0.0.1:8101`, without a trailing slash. */
  readonly ragUrl: string;
  readonly examUrl: string;
  /** Stops both servers and drops their open (keep-alive) connections. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the demo RAG and exam backends on their own HTTP servers. `npm start` uses them when
 * `RAG_URL` / `EXAM_URL` are unset; `npm run demo-backends` runs them alone.
 *
 * @example
 * ```ts
 * const demo = await startDemoBackends({ latencyMs: 100 });
 * const slow = await startDemoBackends({ env: process.env }); // DEMO_LATENCY_MS, DEMO_FAILURE_RATE
 * await fetch(`${demo.ragUrl}/healthz`); // { ok: true, service: 'demo-rag' }
 * await demo.close();
 * ```
 */
export async function startDemoBackends(options: DemoBackendsOptions = {}): Promise<DemoBackends> {
  const { host = DEFAULT_DEMO_HOST, ragPort = 0, examPort = 0, logger: given, env, ...explicit } = options;
  // Checked before anything listens, so a bad DEMO_* value leaves nothing behind.
  const faults: FaultOptions = { ...(env === undefined ? {} : readDemoFaults(env)), ...explicit };
  const logger = given ?? pino({ level: 'silent' });
  const rag = await listen('demo-rag', createRagApp({ ...faults, logger }), host, ragPort);
  let exam: Server;
  try {
    exam = await listen('demo-exam', createExamApp({ ...faults, logger }), host, examPort);
  } catch (error) {
    await closeServer(rag);
    throw error;
  }
  const ragUrl = baseUrl(host, rag);
  const examUrl = baseUrl(host, exam);
  // Said when set: a demo that answers slowly or fails on purpose should not look broken.
  const injected = {
    ...(faults.latencyMs ? { latency_ms: faults.latencyMs } : {}),
    ...(faults.failureRate ? { failure_rate: faults.failureRate } : {}),
  };
  logger.info({ service: 'demo-rag', url: ragUrl, ...injected }, 'demo backend listening');
  logger.info({ service: 'demo-exam', url: examUrl, ...injected }, 'demo backend listening');
  let closing: Promise<void> | undefined;
  return {
    ragUrl,
    examUrl,
    close: () => {
      closing ??= Promise.all([closeServer(rag), closeServer(exam)]).then(() => undefined);
      return closing;
    },
  };
}

function listen(service: DemoService, app: Koa, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const handle = app.callback();
    // Koa answers its own errors: the promise its handler returns never rejects.
    const server = createServer((request, response) => void handle(request, response));
    server.once('error', (error) => {
      reject(new Error(`${service} cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
    });
    server.listen(port, host, () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    // close() only stops accepting: idle keep-alive sockets would hold the port until they time out.
    server.closeAllConnections();
  });
}

/** `http://host:port` for the port actually bound (port 0 picks one); IPv6 hosts go in brackets. */
function baseUrl(host: string, server: Server): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
