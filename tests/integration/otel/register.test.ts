import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serviceVersion } from '../../../otel/index.ts';
import { receivedSpans, startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What the backend saw of each request: path and every `traceparent` header line. */
interface Seen {
  path: string;
  traceparents: string[];
}

let backend: Server;
let backendUrl: string;
const seen: Seen[] = [];

beforeAll(async () => {
  backend = createServer((req, res) => {
    const traceparents: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]?.toLowerCase() === 'traceparent') traceparents.push(req.rawHeaders[i + 1] ?? '');
    }
    seen.push({ path: req.url ?? '', traceparents });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});

afterAll(async () => {
  backend.closeAllConnections();
  await new Promise<void>((resolve) => backend.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
});

interface ChildResult {
  session_id: string;
  run_id: string;
  trace_id: string | null;
  terminal: string;
  event_trace_id: string | null;
  otel: boolean;
}

/** Runs `traced-process.ts` the way `npm start` runs the gateway, with `env` on top of a clean environment. */
async function runChild(
  env: Record<string, string>,
): Promise<{ result: ChildResult; logs: Record<string, unknown>[] }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './otel/register.ts', 'tests/integration/otel/traced-process.ts'],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BACKEND_URL: backendUrl, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`child exited ${code}: ${stderr}\n${stdout}`);
  const lines = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const last = lines.find((line) => 'result' in line);
  if (!last) throw new Error(`no result line: ${stdout}\n${stderr}`);
  return { result: last.result as ChildResult, logs: lines.filter((line) => !('result' in line)) };
}

describe('node --import ./otel/register.ts', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  it('traces a session end to end: OTLP protobuf export, fetch context, pino correlation', async () => {
    const { result, logs } = await runChild({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    expect(result).toMatchObject({ otel: true, terminal: 'run.completed' });
    expect(result.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(result.event_trace_id).toBe(result.trace_id);

    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) expect(request.contentType).toBe('application/x-protobuf');
    const spans = receivedSpans(receiver).filter((span) => span.traceId === result.trace_id);
    const named = (name: string) => {
      const found = spans.filter((span) => span.name === name);
      expect(found, `${name} in ${JSON.stringify(spans.map((s) => s.name))}`).toHaveLength(1);
      return found[0]!;
    };
    const root = named(`session ${result.session_id}`);
    const run = named('run remote_flow');
    const step = named('step calling_remote');
    const tool = named('tool remote');
    expect(run.parentSpanId).toBe(root.spanId);
    expect(step.parentSpanId).toBe(run.spanId);
    expect(tool.parentSpanId).toBe(step.spanId);
    expect(root.resource).toMatchObject({ 'service.name': 'tributary', 'service.version': serviceVersion() });
    expect(typeof root.resource['service.instance.id']).toBe('string');

    // ctx.fetch and a plain fetch inside the tool each get one undici client span under the tool
    // span, and the backend gets one traceparent per request, naming that client span.
    const clients = spans.filter((span) => span.scope === '@opentelemetry/instrumentation-undici');
    expect(clients).toHaveLength(2);
    for (const path of ['/traced', '/plain']) {
      const client = clients.find((span) => String(span.attributes['url.full']).endsWith(path));
      expect(client?.parentSpanId).toBe(tool.spanId);
      expect(client?.attributes).toMatchObject({
        'http.request.method': 'GET',
        'http.response.status_code': 200,
      });
      const request = seen.find((r) => r.path === path);
      expect(request?.traceparents).toEqual([`00-${result.trace_id}-${client?.spanId}-01`]);
    }

    // pino (patched through the ESM hook) stamps the active span on the tool's log line.
    const toolLine = logs.find((line) => line.msg === 'calling remote');
    expect(toolLine).toMatchObject({
      trace_id: result.trace_id,
      span_id: tool.spanId,
      run_id: result.run_id,
      tool: 'remote',
    });
    const stepDone = logs.find((line) => line.msg === 'step done');
    expect(stepDone).toMatchObject({ trace_id: result.trace_id, step: 'calling_remote' });
  });

  it('honours OTEL_EXPORTER_OTLP_PROTOCOL=http/json', async () => {
    const { result } = await runChild({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) expect(request.contentType).toBe('application/json');
    const names = receivedSpans(receiver)
      .filter((span) => span.traceId === result.trace_id)
      .map((span) => span.name);
    expect(names).toEqual(
      expect.arrayContaining([`session ${result.session_id}`, 'run remote_flow', 'tool remote']),
    );
  });

  it('starts nothing without an endpoint, or with OTEL_SDK_DISABLED=true: no-op telemetry, no trace ids', async () => {
    const envs: Record<string, string>[] = [
      {},
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' },
    ];
    for (const env of envs) {
      seen.length = 0;
      const { result, logs } = await runChild(env);
      expect(result).toMatchObject({
        otel: false,
        trace_id: null,
        event_trace_id: null,
        terminal: 'run.completed',
      });
      expect(seen.map((request) => request.traceparents)).toEqual([[], []]);
      expect(logs.find((line) => line.msg === 'calling remote')).not.toHaveProperty('trace_id');
    }
    expect(receiver.requests).toEqual([]);
  });
});
