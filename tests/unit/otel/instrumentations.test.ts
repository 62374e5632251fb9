import { afterAll, describe, expect, it } from 'vitest';
import {
  carriesTraceContext,
  createInstrumentations,
  fetchTracedBy,
  redactedUrlAttributes,
  untracedRequest,
} from '../../../otel/index.ts';

describe('carriesTraceContext (undici requests that already carry a traceparent)', () => {
  it('finds traceparent in undici 6+ header arrays, whatever its case', () => {
    expect(
      carriesTraceContext({ headers: ['content-type', 'application/json', 'TraceParent', '00-a-b-01'] }),
    ).toBe(true);
    expect(carriesTraceContext({ headers: ['content-type', 'application/json'] })).toBe(false);
    // Only names count: a value that says traceparent is not the header.
    expect(carriesTraceContext({ headers: ['x-note', 'traceparent'] })).toBe(false);
  });

  it('finds traceparent in undici 5 header strings', () => {
    expect(carriesTraceContext({ headers: 'host: a\r\ntraceparent: 00-a-b-01\r\n' })).toBe(true);
    expect(carriesTraceContext({ headers: 'traceparent: 00-a-b-01\r\n' })).toBe(true);
    expect(carriesTraceContext({ headers: 'host: a\r\nx-traceparent: 1\r\n' })).toBe(false);
  });
});

describe('createInstrumentations', () => {
  const instrumentations = createInstrumentations();
  afterAll(() => {
    for (const instrumentation of instrumentations) instrumentation.disable();
  });

  it('covers http, undici/fetch, koa, socket.io and pino', () => {
    expect(instrumentations.map((i) => i.instrumentationName).sort()).toEqual([
      '@opentelemetry/instrumentation-http',
      '@opentelemetry/instrumentation-koa',
      '@opentelemetry/instrumentation-pino',
      '@opentelemetry/instrumentation-socket.io',
      '@opentelemetry/instrumentation-undici',
    ]);
  });

  it('keeps pino lines on stdout only, traces Koa router layers only, skips already-traced fetches and redacts URLs', () => {
    const config = (name: string) =>
      instrumentations
        .find((i) => i.instrumentationName === `@opentelemetry/instrumentation-${name}`)
        ?.getConfig();
    expect(config('pino')).toMatchObject({ disableLogSending: true });
    expect(config('koa')).toMatchObject({ ignoreLayersType: ['middleware'] });
    expect(config('undici')).toMatchObject({
      ignoreRequestHook: carriesTraceContext,
      startSpanHook: redactedUrlAttributes,
    });
  });

  it('gives no server span to health checks, the metrics scrape and event streams, and one to the rest', () => {
    const untraced = (url: string) => untracedRequest({ url });
    for (const url of ['/healthz', '/readyz?x=1', '/metrics', '/v1/sessions/abc/events/stream?after=3'])
      expect(untraced(url)).toBe(true);
    for (const url of ['/v1/runs', '/v1/sessions/abc/events', '/v1/sessions/abc/events/stream/x', '/'])
      expect(untraced(url)).toBe(false);
    const http = instrumentations.find((i) => i.instrumentationName.endsWith('-http'));
    expect(http?.getConfig()).toMatchObject({ ignoreIncomingRequestHook: untracedRequest });
  });

  it('tells the telemetry that fetch is traced while the undici instrumentation is enabled', () => {
    const traced = fetchTracedBy(instrumentations);
    expect(traced()).toBe(true);
    const undici = instrumentations.find((i) => i.instrumentationName.endsWith('-undici'));
    undici?.disable();
    expect(traced()).toBe(false);
    expect(fetchTracedBy([])()).toBe(false);
  });
});
