import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../core/index.ts';
import { metricsRoute } from '../../../gateway/http/metrics-route.ts';
import { instrumentPlatform, observeRuntime, prometheusHandler } from '../../../otel/index.ts';
import { streamAnswer, streamedAnswer } from '../../fixtures/streaming-plugins.ts';
import { eventWhere, startRuntime, terminalOf } from '../../fixtures/runtime.ts';
import { fakeOpenAi, streamed } from '../llm/fake-openai-server.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function runtimeForTest(): Promise<Runtime> {
  const runtime = await startRuntime();
  cleanups.push(() => runtime.shutdown());
  return runtime;
}

/** Serves `middleware` on a port-0 Koa app and returns its base URL. */
async function serve(middleware: Koa.Middleware): Promise<string> {
  const app = new Koa();
  app.use(middleware);
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** `name{labels} value` lines of a Prometheus exposition, keyed by everything before the value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    // The scope labels every sample carries say which meter made it; the tests do not care.
    const key = line
      .slice(0, at)
      .replace(/,?otel_scope_(name|version)="[^"]*"/g, '')
      .replace('{,', '{')
      .replace('{}', '');
    out.set(key, Number(line.slice(at + 1)));
  }
  return out;
}

async function scrape(base: string): Promise<Map<string, number>> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return samples(await response.text());
}

/** Observes `runtime` on a meter provider of the test's own and serves its `/metrics`; returns the base URL. */
async function observedAt(runtime: Runtime): Promise<string> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  cleanups.push(() => provider.shutdown());
  const observed = observeRuntime(runtime, provider.getMeter('test'));
  cleanups.push(() => observed.stop());
  return serve(metricsRoute(prometheusHandler(exporter)));
}

async function runToEnd(runtime: Runtime, sessionId: string, input: Record<string, unknown>, flow = 'ask') {
  const run = await runtime.runs.create(sessionId, { input, flow });
  return terminalOf(runtime, sessionId, run.id);
}

describe('observeRuntime + prometheusHandler', () => {
  it('reports sessions, runs by outcome, tool calls, events and subscribers at GET /metrics', async () => {
    const runtime = await runtimeForTest();
    const base = await observedAt(runtime);

    const a = await runtime.sessions.create({ user_id: 'ann' });
    const b = await runtime.sessions.create({ user_id: 'bob' });
    await runToEnd(runtime, a.id, { question: 'ok' });
    await runToEnd(runtime, a.id, { question: 'bad', fail: true });
    const tick = await runtime.runs.create(b.id, { input: { question: 't', everyMs: 5 }, flow: 'tick' });
    await eventWhere(runtime, b.id, (e) => e.type === 'step' && e.run_id === tick.id);
    await runtime.runs.cancel(b.id, tick.id);
    const listener = runtime.events.events$(a.id).subscribe();
    cleanups.push(() => listener.unsubscribe());

    const got = await scrape(base);
    expect(got.get('tributary_sessions_active')).toBe(2);
    expect(got.get('tributary_runs_queued')).toBe(0);
    expect(got.get('tributary_runs_running')).toBe(0);
    expect(got.get('tributary_events_subscribers')).toBe(1);
    expect(got.get('tributary_runs_finished_total{flow="ask",status="completed"}')).toBe(1);
    expect(got.get('tributary_runs_finished_total{flow="ask",status="failed"}')).toBe(1);
    expect(got.get('tributary_runs_finished_total{flow="tick",status="cancelled"}')).toBe(1);
    expect(got.get('tributary_run_duration_count{flow="ask",status="completed"}')).toBe(1);
    expect(got.get('tributary_run_duration_bucket{flow="ask",status="completed",le="+Inf"}')).toBe(1);
    expect(got.get('tributary_tool_duration_count{tool="lookup",status="ok"}')).toBe(1);
    expect(got.get('tributary_tool_duration_count{tool="lookup",status="error"}')).toBe(1);
    expect(got.get('tributary_tool_errors_total{tool="lookup",error_type="TOOL_FAILED"}')).toBe(1);
    expect(got.get('tributary_events_emitted_total{type="session.created"}')).toBe(2);
    expect(got.get('tributary_events_emitted_total{type="run.started"}')).toBe(3);
    expect(got.get('tributary_events_emitted_total{type="run.cancelled"}')).toBe(1);
  });

  it('stops counting once stopped, and leaves other paths and methods to the rest of the app', async () => {
    const runtime = await runtimeForTest();
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    cleanups.push(() => provider.shutdown());
    const observed = observeRuntime(runtime, provider.getMeter('test'));
    const base = await serve(metricsRoute(prometheusHandler(exporter)));
    await runtime.sessions.create();
    observed.stop();
    await runtime.sessions.create();
    const got = await scrape(base);
    expect(got.get('tributary_events_emitted_total{type="session.created"}')).toBe(1);
    expect(got.has('tributary_sessions_active')).toBe(false);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});

describe('tokens of language model calls', () => {
  it('count by tool, model and type from the calls that used a model', async () => {
    const fake = await fakeOpenAi();
    cleanups.push(() => fake.close());
    fake.replies.push(streamed(['one'], [12, 1]), streamed(['two'], [30, 2]));
    const runtime = await startRuntime(
      { LLM_URL: fake.url, LLM_MODEL: 'fake-model' },
      { plugins: [streamAnswer, streamedAnswer] },
    );
    cleanups.push(() => runtime.shutdown());
    const base = await observedAt(runtime);
    const session = await runtime.sessions.create();
    await runToEnd(runtime, session.id, { question: 'a' }, 'streamed_answer');
    await runToEnd(runtime, session.id, { question: 'b' }, 'streamed_answer');
    const got = await scrape(base);
    const labels = 'tool="stream_answer",gen_ai_request_model="fake-model"';
    expect(got.get(`tributary_llm_tokens_total{${labels},gen_ai_token_type="input"}`)).toBe(42);
    expect(got.get(`tributary_llm_tokens_total{${labels},gen_ai_token_type="output"}`)).toBe(3);
  });
});

describe('instrumentPlatform', () => {
  it('serves /metrics from a meter provider of its own when the register hook did not start one', async () => {
    const runtime = await runtimeForTest();
    const otel = instrumentPlatform(runtime, { prometheus: true });
    cleanups.push(() => otel.close());
    expect(otel.prometheus).toBe(true);
    const base = await serve(metricsRoute(otel.metrics));
    await runtime.sessions.create();
    const got = await scrape(base);
    expect(got.get('tributary_sessions_active')).toBe(1);
    expect(got.get('tributary_events_emitted_total{type="session.created"}')).toBe(1);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/target_info\{[^}]*service_name="tributary"/);
  });

  it('does nothing with Prometheus off: no /metrics, close resolves', async () => {
    const runtime = await runtimeForTest();
    const otel = instrumentPlatform(runtime);
    expect(otel.prometheus).toBe(false);
    const base = await serve(metricsRoute(otel.metrics));
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    await otel.close();
    await otel.close();
  });
});
