import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Runtime, Session } from '../../../core/index.ts';
import { createOtelTelemetry, serviceVersion, TRACER_NAME, tributaryResource } from '../../../otel/index.ts';
import { createTraceExporter } from '../../../otel/sdk.ts';
import type { OtlpProtocol } from '../../../otel/settings.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';
import { receivedSpans, startOtlpReceiver, type DecodedSpan, type OtlpReceiver } from './otlp-receiver.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.unstubAllEnvs();
});

/**
 * A runtime whose telemetry exports through the real OTLP exporter for `protocol` (BatchSpanProcessor,
 * as in production) to a local receiver; the exporter finds the receiver through the standard variable.
 */
async function exportingRuntime(
  protocol: OtlpProtocol,
): Promise<{ runtime: Runtime; receiver: OtlpReceiver; flush: () => Promise<void> }> {
  const receiver = await startOtlpReceiver();
  cleanups.push(() => receiver.close());
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
  const provider = new BasicTracerProvider({
    resource: tributaryResource(),
    spanProcessors: [new BatchSpanProcessor(createTraceExporter(protocol))],
  });
  cleanups.push(() => provider.shutdown());
  const runtime = await startRuntime(
    {},
    { telemetry: createOtelTelemetry({ tracer: provider.getTracer(TRACER_NAME) }) },
  );
  cleanups.push(() => runtime.shutdown());
  return { runtime, receiver, flush: () => provider.forceFlush() };
}

/** A session with two runs of `ask`, the second failing in its tool. */
async function twoRuns(runtime: Runtime): Promise<Session> {
  const session = await runtime.sessions.create({ user_id: 'ann' });
  for (const input of [{ question: 'first' }, { question: 'second', fail: true }]) {
    const run = await runtime.runs.create(session.id, { input, flow: 'ask' });
    await terminalOf(runtime, session.id, run.id);
  }
  return session;
}

function expectSessionTrace(spans: DecodedSpan[], session: Session): void {
  const traced = spans.filter((span) => span.traceId === session.trace_id);
  expect(traced.map((span) => span.name).sort()).toEqual(
    [
      `session ${session.id}`,
      'run ask',
      'run ask',
      'queue wait',
      'queue wait',
      'step start_lookup',
      'step start_lookup',
      'step lookup_done',
      'tool lookup',
      'tool lookup',
    ].sort(),
  );
  const byId = new Map(traced.map((span) => [span.spanId, span]));
  const root = traced.find((span) => span.name.startsWith('session '));
  expect(root?.parentSpanId).toBe('');
  for (const run of traced.filter((span) => span.name === 'run ask')) {
    expect(run.parentSpanId).toBe(root?.spanId);
    expect(run.attributes).toMatchObject({ 'session.id': session.id, flow: 'ask' });
  }
  // Each run's wait for a slot is a span under the run.
  for (const wait of traced.filter((span) => span.name === 'queue wait')) {
    expect(byId.get(wait.parentSpanId)?.name).toBe('run ask');
  }
  for (const tool of traced.filter((span) => span.name === 'tool lookup')) {
    expect(byId.get(tool.parentSpanId)?.name).toBe('step start_lookup');
  }
  const failed = traced.find((span) => span.name === 'tool lookup' && span.status.code === 2);
  expect(failed?.status.message).toContain('lookup backend refused "second"');
  expect(failed?.events).toContain('exception');
  expect(root?.resource).toMatchObject({ 'service.name': 'tributary', 'service.version': serviceVersion() });
  expect(root?.resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
}

describe('OTLP export over the wire', () => {
  it('posts the session spans as protobuf to /v1/traces, with the trace id bytes in the body', async () => {
    const { runtime, receiver, flush } = await exportingRuntime('http/protobuf');
    const session = await twoRuns(runtime);
    await flush();
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) {
      expect(request.path).toBe('/v1/traces');
      expect(request.contentType).toBe('application/x-protobuf');
    }
    const traceIdBytes = Buffer.from(session.trace_id ?? '', 'hex');
    expect(traceIdBytes).toHaveLength(16);
    expect(receiver.requests.some((request) => request.body.includes(traceIdBytes))).toBe(true);
    expectSessionTrace(receivedSpans(receiver), session);
  });

  it('posts JSON when OTEL_EXPORTER_OTLP_PROTOCOL=http/json asks for it', async () => {
    const { runtime, receiver, flush } = await exportingRuntime('http/json');
    const session = await twoRuns(runtime);
    await flush();
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) expect(request.contentType).toBe('application/json');
    expectSessionTrace(receivedSpans(receiver), session);
  });
});
