import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { lastValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defineFlow, defineTool, type FlowEmission, type Runtime } from '../../../core/index.ts';
import {
  createFetchInstrumentation,
  createOtelTelemetry,
  fetchTracedBy,
  redactedUrlAttributes,
} from '../../../otel/index.ts';
import { fakePlugins } from '../../fixtures/fake-plugins.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';
import { useInMemoryTracing } from './in-memory-tracing.ts';

const tracing = useInMemoryTracing();

/** Every `traceparent` header line of each request the backend got, by path (query dropped). */
const received = new Map<string, string[][]>();
let backend: Server;
let backendUrl: string;

beforeAll(async () => {
  backend = createServer((req, res) => {
    const traceparents: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]?.toLowerCase() === 'traceparent') traceparents.push(req.rawHeaders[i + 1] ?? '');
    }
    const path = (req.url ?? '').split('?')[0] ?? '';
    received.set(path, [...(received.get(path) ?? []), traceparents]);
    res.writeHead(path === '/missing' ? 404 : 200, { 'content-type': 'application/json' }).end('{}');
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});

afterAll(async () => {
  backend.closeAllConnections();
  await new Promise<void>((resolve) => backend.close(() => resolve()));
});

// Made after the in-memory provider is registered (its beforeAll runs first), as the SDK does.
let undici: UndiciInstrumentation;
beforeAll(() => {
  undici = createFetchInstrumentation();
  undici.enable();
});
afterAll(() => undici.disable());

/** Fetches `input.url` with `ctx.fetch` and answers the status. */
const call = defineTool<{ url: string }, { status: number }>({
  name: 'call',
  version: '1.0.0',
  description: 'Fetches a URL',
  input: { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] },
  output: { type: 'object', required: ['status'] },
  async execute({ url }, ctx) {
    const response = await ctx.fetch(url);
    await response.arrayBuffer();
    return { status: response.status };
  },
});

const callFlow = defineFlow<{ url: string }>({
  name: 'call_url',
  version: '1.0.0',
  description: 'One tool call',
  tools: ['call'],
  input: { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] },
  async *execute(input, ctx): AsyncGenerator<FlowEmission> {
    yield { type: 'step', step: 'calling' };
    const out = await lastValueFrom(ctx.callTool('call', { url: input.url }));
    yield { type: 'result', result: out };
  },
});

let runtime: Runtime | undefined;
beforeEach(() => received.clear());
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
  undici.enable();
});

/** Runs `call_url` on `url` with the telemetry `register.ts` makes, and returns the run's terminal event type. */
async function callUrl(url: string): Promise<string> {
  runtime = await startRuntime(
    {},
    {
      telemetry: createOtelTelemetry({ fetchTraced: fetchTracedBy([undici]) }),
      plugins: [...fakePlugins, call, callFlow],
    },
  );
  const session = await runtime.sessions.create();
  const run = await runtime.runs.create(session.id, { input: { url }, flow: 'call_url' });
  return (await terminalOf(runtime, session.id, run.id)).type;
}

const clientSpans = (): ReadableSpan[] => tracing.spans().filter((span) => span.kind === SpanKind.CLIENT);

describe('a tool HTTP call with the fetch instrumentation on', () => {
  it('gets one client span under the tool span, and the server one traceparent naming it', async () => {
    expect(await callUrl(`${backendUrl}/lookup?q=rxjs&api_key=s3cret`)).toBe('run.completed');
    const tool = tracing.span('tool call');
    const clients = clientSpans();
    expect(clients).toHaveLength(1);
    const client = clients[0]!;
    expect(tracing.parentOf(client)).toBe(tool.spanContext().spanId);
    expect(client.spanContext().traceId).toBe(tool.spanContext().traceId);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': `${backendUrl}/lookup?q=rxjs&api_key=REDACTED`,
      'http.response.status_code': 200,
    });
    expect(JSON.stringify(client.attributes)).not.toContain('s3cret');
    const { traceId, spanId } = client.spanContext();
    expect(received.get('/lookup')).toEqual([[`00-${traceId}-${spanId}-01`]]);
  });

  it('records an error status of the server on the client span', async () => {
    expect(await callUrl(`${backendUrl}/missing`)).toBe('run.completed');
    const [client] = clientSpans();
    expect(client?.attributes['http.response.status_code']).toBe(404);
    expect(client?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('gives a refused connection a client span with error status under the tool span', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    expect(await callUrl(`http://127.0.0.1:${port}/down`)).toBe('run.failed');
    const tool = tracing.span('tool call');
    const clients = clientSpans();
    expect(clients).toHaveLength(1);
    expect(tracing.parentOf(clients[0]!)).toBe(tool.spanContext().spanId);
    expect(clients[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(clients[0]?.attributes['error.type']).toBe('ECONNREFUSED');
  });
});

describe('a tool HTTP call with the fetch instrumentation off', () => {
  it('sends the tool span traceparent itself, once, with no client span', async () => {
    undici.disable();
    expect(await callUrl(`${backendUrl}/lookup`)).toBe('run.completed');
    const { traceId, spanId } = tracing.span('tool call').spanContext();
    expect(clientSpans()).toEqual([]);
    expect(received.get('/lookup')).toEqual([[`00-${traceId}-${spanId}-01`]]);
  });
});

describe('redactedUrlAttributes', () => {
  it('replaces userinfo and the values of secret query parameters, keeping the rest as sent', () => {
    expect(
      redactedUrlAttributes({
        origin: 'https://ann:pw@api.test',
        path: '/v1/search?q=a+b&access_token=t1&apiKey=k&X-Amz-Signature=s&key=g&limit=5',
      }),
    ).toEqual({
      'url.full':
        'https://REDACTED:REDACTED@api.test/v1/search?q=a+b&access_token=REDACTED&apiKey=REDACTED&X-Amz-Signature=REDACTED&key=REDACTED&limit=5',
      'url.query':
        '?q=a+b&access_token=REDACTED&apiKey=REDACTED&X-Amz-Signature=REDACTED&key=REDACTED&limit=5',
    });
  });

  it('leaves a URL without secrets to the instrumentation (no override)', () => {
    expect(redactedUrlAttributes({ origin: 'http://api.test', path: '/search?q=%2Fx&tokens_in=3' })).toEqual(
      {},
    );
    expect(redactedUrlAttributes({ origin: 'not a url', path: '/' })).toEqual({});
  });

  it('finds userinfo in the origin or a path that names an authority, with no query', () => {
    expect(redactedUrlAttributes({ origin: 'https://ann:pw@api.test', path: '/v1' })).toEqual({
      'url.full': 'https://REDACTED:REDACTED@api.test/v1',
      'url.query': '',
    });
    expect(redactedUrlAttributes({ origin: 'http://api.test', path: '//ann:pw@other.test/x' })).toEqual({
      'url.full': 'http://REDACTED:REDACTED@other.test/x',
      'url.query': '',
    });
    expect(redactedUrlAttributes({ origin: 'http://api.test', path: '/users/@ann' })).toEqual({});
  });
});
