import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type Runtime } from '../../../core/index.ts';
import { createGateway } from '../../../gateway/app.ts';
import { metricsRoute } from '../../../gateway/http/metrics-route.ts';
import { instrumentPlatform, type PlatformOtel } from '../../../otel/index.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The gateway exactly as `startPlatform` builds it, plus the two lines of the OpenTelemetry wiring:
 * `instrumentPlatform(runtime, { prometheus })` and `app.use(metricsRoute(otel.metrics))` after `createGateway`.
 */
async function gateway(
  env: Record<string, string>,
): Promise<{ runtime: Runtime; base: string; otel: PlatformOtel }> {
  const config = loadConfig(env);
  const runtime = await startRuntime(env);
  const otel = instrumentPlatform(runtime, { prometheus: config.METRICS_PROMETHEUS });
  const app = createGateway({
    runtime,
    logger: pino({ level: 'silent' }),
    apiKeys: config.API_KEYS,
    internalToken: config.INTERNAL_TOKEN,
    bodyLimit: config.BODY_LIMIT,
  });
  app.use(metricsRoute(otel.metrics));
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await runtime.shutdown();
    await otel.close();
  });
  return { runtime, otel, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('GET /metrics on the gateway', () => {
  it('serves the Prometheus exposition with METRICS_PROMETHEUS=true, next to the API', async () => {
    const { runtime, base } = await gateway({ METRICS_PROMETHEUS: 'true' });
    const created = await fetch(`${base}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'ann' }),
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string };
    const run = await runtime.runs.create(session.id, { input: { question: 'q' }, flow: 'ask' });
    await terminalOf(runtime, session.id, run.id);

    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^tributary_sessions_active\{[^}]*\} 1$/m);
    expect(text).toMatch(/^tributary_runs_finished_total\{flow="ask",status="completed"[^}]*\} 1$/m);
    // The API around it is unchanged: unknown routes still answer problem+json.
    const missing = await fetch(`${base}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });

  it('is a plain 404 problem with metrics off', async () => {
    const { base, otel } = await gateway({});
    expect(otel.prometheus).toBe(false);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});
