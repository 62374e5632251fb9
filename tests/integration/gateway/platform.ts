import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { isFinished, type Run, type SessionEvent } from '../../../core/index.ts';
import { createTributaryClient, type TributaryClient } from '../../../clients/api-client.ts';
import { startPlatform, type Platform, type PlatformOptions } from '../../../platform/platform.ts';
import {
  startDemoBackends,
  type DemoBackends,
  type DemoBackendsOptions,
} from '../../../demo-backends/index.ts';
import { FAKE_PLUGINS_MODULE } from '../../fixtures/fake-plugins.ts';
import { assertConforms, conformingFetch } from './spec-conformance.ts';
import { SseStream } from './sse.ts';

/** The fake tools and flows of `tests/fixtures` (`ask` with an approval, `tick`), loaded through `PLUGINS`. */
export const TEST_PLUGINS = FAKE_PLUGINS_MODULE;
export const INTERNAL_TOKEN = 'internal-token-for-tests-0001';
/** Two API keys and their users, for the ownership tests. */
export const ANN_KEY = 'ann-key-00000001';
export const BOB_KEY = 'bob-key-00000002';
export const API_KEYS = `${ANN_KEY}:ann,${BOB_KEY}:bob`;

export interface Reply {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: unknown;
  text: string;
}

export interface CallOptions {
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is (with the headers given). */
  raw?: string | Uint8Array | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
}

/** A gateway as `npm start` boots it, on port 0 over SQLite in a temp dir, with helpers to call it. */
export interface Gateway {
  platform: Platform;
  url: string;
  dir: string;
  /** The typed client (openapi-fetch), every response checked against the spec; `apiKey` when API_KEYS is set. */
  api: TributaryClient;
  client(apiKey?: string): TributaryClient;
  /** Raw HTTP, every response checked against the spec. */
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  sse(path: string, headers?: Record<string, string>): Promise<SseStream>;
  close(): Promise<void>;
}

export interface GatewayOptions extends PlatformOptions {
  /** Reuse a folder (and its `t.db`) from an earlier gateway: a restart. */
  dir?: string;
  /** Keep the folder on close (for a restart). */
  keepDir?: boolean;
  /** The API key the default `api` client sends. */
  apiKey?: string;
}

/**
 * Starts the whole platform (config, SQLite store, demo backends, built-in plugins, runtime, gateway).
 *
 * @example
 * ```ts
 * const gw = await startGateway({ INTERNAL_TOKEN });
 * const { data } = await gw.api.POST('/v1/sessions', { body: {} });
 * await gw.close();
 * ```
 */
export async function startGateway(
  env: Record<string, string> = {},
  options: GatewayOptions = {},
): Promise<Gateway> {
  const { dir: reused, keepDir = false, apiKey, ...platformOptions } = options;
  const dir = reused ?? mkdtempSync(join(tmpdir(), 'tributary-gateway-'));
  const platform = await startPlatform(
    { PORT: '0', SQLITE_PATH: join(dir, 't.db'), LOG_LEVEL: 'silent', SHUTDOWN_TIMEOUT_MS: '0', ...env },
    { validateResponses: true, heartbeatMs: 50, ...platformOptions },
  );
  const { url } = platform;
  const client = (key?: string) =>
    createTributaryClient({ baseUrl: url, apiKey: key, fetch: conformingFetch });
  return {
    platform,
    url,
    dir,
    api: client(apiKey),
    client,
    call: async (method, path, { json, raw, headers = {} } = {}) => {
      const init: RequestInit & { duplex?: 'half' } = { method, headers: { ...headers } };
      if (json !== undefined) {
        init.body = JSON.stringify(json);
        init.headers = { 'Content-Type': 'application/json', ...headers };
      } else if (raw !== undefined) {
        init.body = raw;
        if (raw instanceof ReadableStream) init.duplex = 'half';
      }
      const response = await fetch(`${url}${path}`, init);
      await assertConforms(method, `${url}${path}`, response);
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text === '' ? undefined : (JSON.parse(text) as unknown);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, headers: response.headers, body, text };
    },
    sse: async (path, headers = {}) => {
      const stream = await SseStream.open(`${url}${path}`, headers);
      await assertConforms('GET', `${url}${path}`, stream.response);
      return stream;
    },
    close: async () => {
      await platform.close();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One gateway for the tests of a file or `describe` block: started before them, closed after.
 *
 * @example
 * ```ts
 * const gw = useGateway({ INTERNAL_TOKEN });
 * it('creates', async () => expect((await gw().api.POST('/v1/sessions', { body: {} })).response.status).toBe(201));
 * ```
 */
export function useGateway(
  env: Record<string, string> | (() => Record<string, string>) = {},
  options: GatewayOptions = {},
): () => Gateway {
  let gateway: Gateway | undefined;
  beforeAll(async () => {
    // A function when the settings are known only once earlier hooks ran (another server's URL).
    gateway = await startGateway(typeof env === 'function' ? env() : env, options);
  });
  afterAll(async () => {
    await gateway?.close();
  });
  return () => {
    if (!gateway) throw new Error('the gateway starts in beforeAll');
    return gateway;
  };
}

/**
 * The bundled demo backends started on their own (with latency or failures injected), for the gateway
 * to use through RAG_URL / EXAM_URL. Register before `useGateway` so they outlive it.
 *
 * @example
 * ```ts
 * const demo = useDemoBackends({ latencyMs: 100 });
 * const gw = useGateway(() => ({ RAG_URL: demo().ragUrl, EXAM_URL: demo().examUrl }));
 * ```
 */
export function useDemoBackends(options: DemoBackendsOptions): () => DemoBackends {
  let demo: DemoBackends | undefined;
  beforeAll(async () => {
    demo = await startDemoBackends(options);
  });
  afterAll(async () => {
    await demo?.close();
  });
  return () => {
    if (!demo) throw new Error('the demo backends start in beforeAll');
    return demo;
  };
}

/** Asserts a problem+json answer with this status and code (and detail, when given). */
export function expectProblem(reply: Reply, status: number, code: string, detail?: string | RegExp): void {
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.status, reply.text).toBe(status);
  const problem = reply.body as Record<string, unknown>;
  expect(problem).toMatchObject({
    status,
    code,
    type: `urn:tributary:problem:${code.toLowerCase().replaceAll('_', '-')}`,
  });
  expect(problem.request_id).toBe(reply.headers.get('x-request-id'));
  if (detail !== undefined) expect(problem.detail).toMatch(detail);
}

/** The field names a 400 problem blames. */
export function problemFields(reply: Reply): string[] {
  return ((reply.body as { errors?: { field: string }[] }).errors ?? []).map((error) => error.field);
}

/** Polls the run over HTTP until it is finished. */
export async function runToEnd(
  api: TributaryClient,
  sessionId: string,
  runId: string,
  timeoutMs = 15_000,
): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { data } = await api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
      params: { path: { session_id: sessionId, run_id: runId } },
    });
    if (data && isFinished(data.status)) return data as Run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${data?.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every stored event of a session, over HTTP. */
export async function allEvents(api: TributaryClient, sessionId: string): Promise<SessionEvent[]> {
  const { data } = await api.GET('/v1/sessions/{session_id}/events', {
    params: { path: { session_id: sessionId }, query: { limit: 1000 } },
  });
  return (data?.items ?? []) as SessionEvent[];
}

/** Polls the session's events over HTTP until one matches. */
export async function eventWhere(
  api: TributaryClient,
  sessionId: string,
  matches: (event: SessionEvent) => boolean,
  timeoutMs = 10_000,
): Promise<SessionEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await allEvents(api, sessionId)).find(matches);
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(`no matching event in session ${sessionId} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Creates a session over HTTP and returns its id. */
export async function newSession(api: TributaryClient, body: Record<string, unknown> = {}): Promise<string> {
  const { data, response } = await api.POST('/v1/sessions', { body });
  expect(response.status).toBe(201);
  return data!.id;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
