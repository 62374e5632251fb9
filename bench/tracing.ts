/**
 * `npm run bench -- tracing`: what one trace per session costs the core. The same workload runs with
 * core's no-op telemetry (the baseline: tracing off, as without an OTLP endpoint) and with the
 * OpenTelemetry telemetry of `otel/` (tracing on: every run, step and tool call a span, always
 * sampled, BatchSpanProcessor, the real OTLP/HTTP protobuf exporter posting to a local sink), in
 * alternating timed runs of the same process.
 */
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { context, propagation, type ContextManager } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { lastValueFrom } from 'rxjs';
import {
  defineFlow,
  defineTool,
  loadConfig,
  noopTelemetry,
  Runtime,
  TERMINAL_EVENT_TYPES,
  type FlowEmission,
  type Telemetry,
} from '../core/index.ts';
import { createOtelTelemetry, TRACER_NAME, tributaryResource } from '../otel/index.ts';
import { createTraceExporter } from '../otel/sdk.ts';
import { compare, median, timeMs, type Compared } from './lib/measure.ts';
import type { BenchModule } from './lib/module.ts';
import { openStore, removeTempFiles, type StoreKind } from './lib/runtime.ts';
import type { Row } from './lib/table.ts';

/** Runs per throughput sample, spread over SESSIONS sessions (runs of a session queue behind each other). */
const RUNS = 1_000;
const SESSIONS = 50;
/** Steps per run; each step calls the tool once. A run is then 7 spans and about 12 events. */
const STEPS = 3;
/** Runs timed one after another for the latency figure. */
const LATENCY_RUNS = 300;
const CONCURRENCY = 10;
/** Every comparison: one untimed pair, then this many timed pairs (medians reported). */
const SAMPLES = { warmup: 1, runs: 7 };

const echo = defineTool<{ n: number }, { n: number }>({
  name: 'bench_echo',
  version: '1.0.0',
  description: 'Returns its input',
  input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
  output: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
  execute: async ({ n }) => ({ n }),
});

const flow = defineFlow<{ question: string }>({
  name: 'bench_flow',
  version: '1.0.0',
  description: `${STEPS} steps, one tool call each, one message`,
  tools: ['bench_echo'],
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  async *execute(_input, ctx): AsyncGenerator<FlowEmission> {
    for (let n = 0; n < STEPS; n += 1) {
      yield { type: 'step', step: `step_${n}` };
      await lastValueFrom(ctx.callTool('bench_echo', { n }));
    }
    yield { type: 'message', role: 'assistant', content: 'done' };
    yield { type: 'result', result: { ok: true } };
  },
});

/** Where `bench_http` posts: the sink, which answers any path. Set once the sink is up. */
let toolUrl = '';

const httpTool = defineTool<{ n: number }, { n: number }>({
  name: 'bench_http',
  version: '1.0.0',
  description: 'Posts its input to a local HTTP service through ctx.fetch (trace headers included)',
  input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
  output: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
  async execute({ n }, ctx) {
    const response = await ctx.fetch(`${toolUrl}/tool`, { method: 'POST', body: JSON.stringify({ n }) });
    await response.arrayBuffer();
    return { n };
  },
});

const httpFlow = defineFlow<{ question: string }>({
  name: 'bench_http_flow',
  version: '1.0.0',
  description: `${STEPS} steps, one HTTP tool call each, one message`,
  tools: ['bench_http'],
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  async *execute(_input, ctx): AsyncGenerator<FlowEmission> {
    for (let n = 0; n < STEPS; n += 1) {
      yield { type: 'step', step: `step_${n}` };
      await lastValueFrom(ctx.callTool('bench_http', { n }));
    }
    yield { type: 'message', role: 'assistant', content: 'done' };
    yield { type: 'result', result: { ok: true } };
  },
});

/** `local`: tools answer in-process (the core alone); `http`: each tool call is an HTTP request, as real tools are. */
type Workload = 'local' | 'http';
const FLOW_OF: Record<Workload, string> = { local: 'bench_flow', http: 'bench_http_flow' };

/**
 * A local HTTP sink in a child process, so neither its event loop nor its CPU time is this process's:
 * it reads each body and answers 200 on any path, as a collector would (and as the HTTP tools' service).
 */
async function startSink(): Promise<{ url: string; close: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const server = require('node:http').createServer((req, res) => {
         req.resume();
         req.on('end', () => { res.writeHead(200, { 'content-type': 'application/x-protobuf' }); res.end(); });
       });
       server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return {
    url: `http://127.0.0.1:${Number.parseInt(line.toString(), 10)}`,
    close: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Counts the spans handed to the exporter, so the notes can say none were dropped. */
class CountingExporter implements SpanExporter {
  exported = 0;
  constructor(private readonly inner: SpanExporter | null) {}
  export(...[spans, done]: Parameters<SpanExporter['export']>): void {
    this.exported += spans.length;
    if (this.inner) this.inner.export(spans, done);
    else done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return this.inner?.shutdown() ?? Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return this.inner?.forceFlush?.() ?? Promise.resolve();
  }
}

type Mode = 'off' | 'otlp' | 'noop-exporter';

interface Tracing {
  telemetry: Telemetry;
  /** Exports every span still buffered (part of the timed work: the export cost is tracing's cost). */
  flush(): Promise<void>;
  stop(): Promise<void>;
  exported(): number;
}

/**
 * Tracing as `otel/register.ts` sets it up (AsyncLocalStorage context manager, W3C propagator,
 * BatchSpanProcessor), torn down after each sample so the baseline runs with no context manager,
 * as a process without an endpoint does. The queue is large enough that no span is dropped.
 */
function startTracing(mode: Mode, sinkUrl: string): Tracing {
  if (mode === 'off') {
    return { telemetry: noopTelemetry, flush: async () => {}, stop: async () => {}, exported: () => 0 };
  }
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sinkUrl;
  const exporter = new CountingExporter(mode === 'otlp' ? createTraceExporter('http/protobuf') : null);
  const processor = new BatchSpanProcessor(exporter, { maxQueueSize: 65_536 });
  const provider = new BasicTracerProvider({ resource: tributaryResource(), spanProcessors: [processor] });
  const manager: ContextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    telemetry: createOtelTelemetry({ tracer: provider.getTracer(TRACER_NAME) }),
    flush: () => provider.forceFlush(),
    stop: async () => {
      await provider.shutdown();
      context.disable();
      propagation.disable();
    },
    exported: () => exporter.exported,
  };
}

async function withRuntime<T>(
  kind: StoreKind,
  telemetry: Telemetry,
  use: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await Runtime.start({
    config: loadConfig({
      SHUTDOWN_TIMEOUT_MS: '0',
      MAX_SESSIONS_PER_USER: '0',
      CONCURRENCY_LIMIT: String(CONCURRENCY),
      DEFAULT_FLOW: 'bench_flow',
    }),
    store: openStore(kind),
    plugins: [echo, flow, httpTool, httpFlow],
    logger: pino({ level: 'silent' }),
    sweep: false,
    telemetry,
  });
  try {
    return await use(runtime);
  } finally {
    await runtime.shutdown();
  }
}

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_EVENT_TYPES);

/** One throughput sample: events per wall-clock second and per second of this process's CPU time. */
interface Rates {
  wall: number;
  cpu: number;
}

/**
 * Events per second while RUNS runs go through SESSIONS sessions, CONCURRENCY at a time, until the
 * last run ended and every span was exported. Also per CPU second (user + system time of this
 * process, GC threads included; the sink is another process), which other load on the machine
 * barely moves.
 */
async function throughput(
  kind: StoreKind,
  mode: Mode,
  sinkUrl: string,
  spans: number[],
  workload: Workload = 'local',
): Promise<Rates> {
  const tracing = startTracing(mode, sinkUrl);
  try {
    return await withRuntime(kind, tracing.telemetry, async (runtime) => {
      const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => runtime.sessions.create()));
      let events = 0;
      let ended = 0;
      let allEnded = (): void => {};
      const done = new Promise<void>((resolve) => (allEnded = resolve));
      const subscription = runtime.events.all$().subscribe((event) => {
        events += 1;
        if (TERMINAL.has(event.type) && ++ended === RUNS) allEnded();
      });
      const cpuBefore = process.cpuUsage();
      const ms = await timeMs(async () => {
        for (let round = 0; round < RUNS / SESSIONS; round += 1) {
          await Promise.all(
            sessions.map((session) =>
              runtime.runs.create(session.id, { input: { question: `q${round}` }, flow: FLOW_OF[workload] }),
            ),
          );
        }
        await done;
        await tracing.flush();
      });
      const cpu = process.cpuUsage(cpuBefore);
      subscription.unsubscribe();
      spans.push(tracing.exported());
      return { wall: events / (ms / 1000), cpu: events / ((cpu.user + cpu.system) / 1e6) };
    });
  } finally {
    await tracing.stop();
  }
}

/**
 * Like `compare` in bench/lib/measure.ts (warm-up, then subject and baseline alternating, a gc before
 * each), for a measurement that yields two figures; the medians of each.
 */
async function compareRates(
  subject: () => Promise<Rates>,
  baseline: () => Promise<Rates>,
): Promise<{ wall: Compared; cpu: Compared }> {
  for (let i = 0; i < SAMPLES.warmup; i += 1) {
    await subject();
    await baseline();
  }
  const subjects: Rates[] = [];
  const baselines: Rates[] = [];
  for (let i = 0; i < SAMPLES.runs; i += 1) {
    globalThis.gc?.();
    subjects.push(await subject());
    globalThis.gc?.();
    baselines.push(await baseline());
  }
  const pick = (key: keyof Rates): Compared => ({
    value: median(subjects.map((rates) => rates[key])),
    baseline: median(baselines.map((rates) => rates[key])),
  });
  return { wall: pick('wall'), cpu: pick('cpu') };
}

/** Resolves at the next terminal event published (the one run in flight ending). */
function firstTerminal(runtime: Runtime): Promise<void> {
  return new Promise((resolve) => {
    const subscription = runtime.events.all$().subscribe((event) => {
      if (!TERMINAL.has(event.type)) return;
      subscription.unsubscribe();
      resolve();
    });
  });
}

/** Median ms from `runs.create()` to the run's terminal event, LATENCY_RUNS runs one after another. */
async function latency(kind: StoreKind, mode: Mode, sinkUrl: string): Promise<number> {
  const tracing = startTracing(mode, sinkUrl);
  try {
    return await withRuntime(kind, tracing.telemetry, async (runtime) => {
      const session = await runtime.sessions.create();
      const times: number[] = [];
      for (let n = 0; n < LATENCY_RUNS; n += 1) {
        times.push(
          await timeMs(async () => {
            const terminal = firstTerminal(runtime);
            await runtime.runs.create(session.id, { input: { question: `q${n}` } });
            await terminal;
          }),
        );
      }
      return median(times);
    });
  } finally {
    await tracing.stop();
  }
}

const tracingModule: BenchModule = {
  title: 'tracing',
  notes: [
    `workload: ${RUNS} runs of a flow with ${STEPS} steps, one tool call per step and one message (7 spans, ~12 events per run), over ${SESSIONS} sessions, CONCURRENCY_LIMIT=${CONCURRENCY}; events/s counted on the runtime's event feed until the last run ended and (tracing on) every span was exported`,
    'baseline: the same workload with core’s no-op telemetry and no context manager, i.e. the platform without an OTLP endpoint; timed runs alternate with the traced ones',
    'tracing on: createOtelTelemetry() over a BasicTracerProvider (always sampled) with a BatchSpanProcessor (queue 65,536, so nothing is dropped), AsyncLocalStorage context manager and W3C propagator, as register.ts sets them up',
    'OTLP: the real protobuf OTLP/HTTP exporter posting to a local sink in a child process; no-op exporter: the same without serialising or sending (span bookkeeping only)',
    'per CPU second: events ÷ (user + system CPU time of this process over the same window, GC threads included, the sink excluded); other load on a shared machine moves wall-clock rates far more than CPU time, so this is the dependable ratio there',
    'HTTP tools: the same flow, each tool call a POST through ctx.fetch (with the traceparent header when tracing) to a local service in another process, as the built-in tools do; the HTTP client work is in both figures',
    `latency: median ms from runs.create() to the run's terminal event, ${LATENCY_RUNS} runs one after another in one session`,
  ],
  async run(progress) {
    const sink = await startSink();
    toolUrl = sink.url;
    const rows: Row[] = [];
    const spans: number[] = [];
    try {
      for (const kind of ['memory', 'sqlite'] as const) {
        progress(`throughput, OTLP exporter (${kind})`);
        const otlp = await compareRates(
          () => throughput(kind, 'otlp', sink.url, spans),
          () => throughput(kind, 'off', sink.url, []),
        );
        const target = { op: '>=', limit: 0.85, on: 'ratio' } as const;
        rows.push(
          { metric: `events per CPU second, tracing on, OTLP (${kind})`, unit: 'ev/s', ...otlp.cpu, target },
          { metric: `events/s wall clock, tracing on, OTLP (${kind})`, unit: 'ev/s', ...otlp.wall, target },
        );
        removeTempFiles();
      }
      progress('throughput, no-op exporter (memory)');
      const bare = await compareRates(
        () => throughput('memory', 'noop-exporter', sink.url, []),
        () => throughput('memory', 'off', sink.url, []),
      );
      rows.push(
        {
          metric: 'events per CPU second, tracing on, no-op exporter (memory)',
          unit: 'ev/s',
          ...bare.cpu,
          target: null,
        },
        {
          metric: 'events/s wall clock, tracing on, no-op exporter (memory)',
          unit: 'ev/s',
          ...bare.wall,
          target: null,
        },
      );
      progress('throughput, HTTP tools, OTLP exporter (memory)');
      const http = await compareRates(
        () => throughput('memory', 'otlp', sink.url, [], 'http'),
        () => throughput('memory', 'off', sink.url, [], 'http'),
      );
      rows.push(
        {
          metric: 'events per CPU second, HTTP tools, tracing on, OTLP (memory)',
          unit: 'ev/s',
          ...http.cpu,
          target: null,
        },
        {
          metric: 'events/s wall clock, HTTP tools, tracing on, OTLP (memory)',
          unit: 'ev/s',
          ...http.wall,
          target: null,
        },
      );
      progress('run latency (memory)');
      const lat = await compare(
        SAMPLES,
        () => latency('memory', 'otlp', sink.url),
        () => latency('memory', 'off', sink.url),
      );
      rows.push({ metric: 'run latency, tracing on, OTLP (memory)', unit: 'ms', ...lat, target: null });
      // A span per run, step and tool call, plus each session's root span.
      const expected = RUNS * (1 + 2 * STEPS) + SESSIONS;
      const exportedAll = spans.every((count) => count === expected);
      progress(
        `spans exported per traced throughput sample: ${exportedAll ? 'all' : spans.join(', ')} of ${expected}`,
      );
    } finally {
      await sink.close();
      removeTempFiles();
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    }
    return rows;
  },
};

export default tracingModule;
