/**
 * `npm run bench -- run-cost`: what one run costs the server, end to end over HTTP and SSE. The flow
 * `run_cost_three_steps` (three steps, each a tool that reports one progress event and makes one HTTP
 * call to a local stub) on real `platform/main.ts` processes with STORE=memory and STORE=sqlite, against
 * a bare server written for the bench alone (`bench/run-cost/bare-server.ts`: Koa, better-sqlite3,
 * fetch, SSE; no platform code) measured the same way by the same client in the same run. Each store
 * also runs traced (every span exported over OTLP/HTTP to a sink in the bench process), in rounds
 * alternating with its untraced process. Linux only (CPU from /proc of each server process).
 */
import type { BenchModule } from './lib/module.ts';
import { nextSqlitePath } from './lib/runtime.ts';
import type { Row } from './lib/table.ts';
import { closedLoop, openLoop, type RunTiming, type Target } from './run-cost/client.ts';
import { startOtlpSink, type OtlpSink } from './run-cost/otlp-sink.ts';
import { RUN_COST_FLOW, RUN_COST_PLUGINS_MODULE, STEPS_PER_RUN } from './run-cost/plugins.ts';
import { startGateway, type GatewayProcess } from './scale/gateway-process.ts';
import type { LoopDelay } from './scale/loop-delay.ts';
import { cpuSeconds } from './scale/process-cpu.ts';
import { startStub, STUB_DELAY_MS, type Stub } from './scale/stub-server.ts';

const envInt = (name: string, fallback: number): number => {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};

/** RUN_COST_RUNS, RUN_COST_WARMUP, RUN_COST_ROUNDS, RUN_COST_OPEN_RUNS override the defaults. */
const SETTINGS = {
  runs: envInt('RUN_COST_RUNS', 500),
  warmup: envInt('RUN_COST_WARMUP', 200),
  /** The platform cases' timed runs come in this many rounds, alternating with the traced process's. */
  rounds: envInt('RUN_COST_ROUNDS', 10),
  /** CONCURRENCY_LIMIT of the platform, and runs the client keeps in flight in the closed loop. */
  concurrency: 10,
  /** The open-loop rate of the tail-latency target, and how many runs it submits at that rate. */
  openRate: 20,
  openRuns: envInt('RUN_COST_OPEN_RUNS', 300),
};

type Store = 'memory' | 'sqlite';
type CaseName = 'bare' | Store | `${Store} traced`;
const STORES: readonly Store[] = ['memory', 'sqlite'];
/** The traced processes' BatchSpanProcessor waits this long (its default) before exporting a partial batch. */
const BSP_SCHEDULE_DELAY_MS = 5_000;

interface CaseResult {
  cpuMsPerRun: number;
  runsPerSecond: number;
  firstP50: number;
  firstP99: number;
  terminalP50: number;
  terminalP99: number;
  /** At the open-loop rate. */
  openTerminalP50: number;
  openTerminalP99: number;
  openCpuMsPerRun: number;
  eventsPerRun: number;
  unfinished: number;
  /**
   * Memory and sqlite, traced or not: CPU ms per timed run over the whole alternating window (the other
   * process's turns and the final wait for the sink included), the figure the tracing target compares.
   * `cpuMsPerRun` is over the process's own rounds only, as for bare.
   */
  windowCpuMsPerRun?: number;
  /** Traced cases: spans the sink received per timed run. */
  spansPerRun?: number;
  /** Untraced cases: the server's event-loop delay over the timed runs (closed loop) and the open loop. */
  loopDelay?: LoopDelay;
  openLoopDelay?: LoopDelay;
}

const CPU_TARGET = { op: '<', limit: 2, on: 'ratio' } as const;
const TAIL_TARGET = { op: '<', limit: 3, on: 'ratio' } as const;
/** Tracing on costs at most 15% of the runs per CPU second. */
const TRACING_TARGET = { op: '>=', limit: 0.85, on: 'ratio' } as const;
/** No recurring synchronous stretch on the event loop (a store commit, its disk work) over a few ms. */
const LOOP_DELAY_TARGET = { op: '<', limit: 5, on: 'value' } as const;

const notes: string[] = [
  `workload: ${STEPS_PER_RUN} steps per run, each one tool call that reports one progress event and makes one HTTP request to a stub in the bench process that answers after ${STUB_DELAY_MS} ms; each run in a new session`,
  `platform: real platform/main.ts processes (node --import tsx, LOG_LEVEL=warn), PLUGINS=bench/run-cost/plugins.ts, CONCURRENCY_LIMIT=${SETTINGS.concurrency}, STORE=memory or STORE=sqlite (a temp SQLITE_PATH); the client sends POST /v1/runs (new session) then GET /v1/sessions/{id}/events/stream and reads it until the run's terminal event`,
  'bare: bench/run-cost/bare-server.ts in its own process (node --import tsx): POST /runs creates the session row and the run (better-sqlite3, temp file, WAL, synchronous=NORMAL), answers text/event-stream, calls the stub 3 times with fetch, writes the same 15 run events as the platform plus session.created, JSON rows of its envelope shape (one transaction to open the run, one per step, one to end it) and streams each after its commit (id:/event:/data: frames)',
  `each case: ${SETTINGS.warmup} warm-up runs, then ${SETTINGS.runs} timed runs with ${SETTINGS.concurrency} in flight (closed loop: runs/s, latencies, CPU), then (untraced cases only) ${SETTINGS.openRuns} runs submitted at ${SETTINGS.openRate} runs/s whatever is still running (open loop: the tail-latency row); bare first, then memory, then sqlite, each server process up only for its case (memory and sqlite: with its traced twin)`,
  `traced: the same platform process started as \`npm start\` starts it (--import ./otel/register.ts) with OTEL_EXPORTER_OTLP_ENDPOINT set to a sink in the bench process (OTLP/HTTP protobuf, every other OTEL_* setting at its default: always sampled, BatchSpanProcessor, the http, undici, koa, socket.io and pino instrumentations); the sink reads each export request, counts its spans and answers 200. The untraced memory and sqlite processes are started with the same --import and no endpoint (register.ts then loads nothing)`,
  `memory and sqlite: the untraced and the traced process of the store are up together; after both warmed up and the sink has been quiet for ${BSP_SCHEDULE_DELAY_MS / 1000 + 1} s, the ${SETTINGS.runs} timed runs of each come in ${SETTINGS.rounds} rounds, the two processes taking turns (ABBA), then the sink is waited on until quiet again (the traced process's last partial batch exported). For the tracing rows, CPU per run of both processes is taken over that whole window (the idle turns included, where the traced process exports what it buffered) ÷ ${SETTINGS.runs}, and runs per CPU second = 1000 ÷ that; the CPU per run of the rows against bare, runs/s and latencies are over each process's own rounds`,
  'event-loop delay: the untraced servers (and bare) are started with bench/scale/loop-delay.ts preloaded, which samples their event loop at 1 ms resolution (monitorEventLoopDelay); its longest delay is the longest synchronous stretch (a store commit with its disk work, a GC pause), over the timed closed-loop runs and over the open loop; target: its p99 under 5 ms for SQLite at the open-loop rate',
  'submit → first event: from just before the POST to the first SSE frame of the run (the session.created frame not counted); → terminal: to its run.completed frame. CPU per run: utime+stime from /proc/<pid>/stat of the server process only over the timed runs ÷ runs (client and stub are the bench process, not counted)',
];

/** The p-th percentile (nearest rank) of `values`. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

interface Started {
  target: Target;
  node: GatewayProcess;
}

async function startBare(stub: Stub): Promise<Started> {
  const node = await startGateway(
    { RUN_COST_STUB_URL: stub.url, SQLITE_PATH: nextSqlitePath() },
    { script: 'bench/run-cost/bare-server.ts', loopDelay: true },
  );
  return { node, target: { kind: 'bare', url: node.url } };
}

/** The platform with `store`, as `npm start` runs it; traced when `otlpEndpoint` is given. */
async function startPlatform(store: Store, stub: Stub, otlpEndpoint?: string): Promise<Started> {
  const node = await startGateway(
    {
      PLUGINS: RUN_COST_PLUGINS_MODULE,
      RUN_COST_STUB_URL: stub.url,
      // Set, so the process starts no bundled demo backends; the flow never calls them.
      RAG_URL: stub.url,
      EXAM_URL: stub.url,
      STORE: store,
      ...(store === 'sqlite' ? { SQLITE_PATH: nextSqlitePath() } : {}),
      CONCURRENCY_LIMIT: String(SETTINGS.concurrency),
      ...(otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint } : {}),
    },
    {
      nodeArgs: ['--import', './otel/register.ts'],
      // The untraced process's event loop is watched (the traced one's is not compared with anything).
      loopDelay: !otlpEndpoint,
    },
  );
  return { node, target: { kind: 'platform', url: node.url, flow: RUN_COST_FLOW } };
}

/** The open-loop part of a case: CPU per run and the runs' timings at SETTINGS.openRate. */
async function openPart(started: Started): Promise<OpenPart> {
  await started.node.loopDelay(); // a new window
  const openCpuBefore = cpuSeconds(started.node.pid);
  const open = await openLoop(started.target, SETTINGS.openRuns, SETTINGS.openRate);
  return {
    open,
    openCpuMsPerRun: ((cpuSeconds(started.node.pid) - openCpuBefore) * 1000) / SETTINGS.openRuns,
    openLoopDelay: await started.node.loopDelay(),
  };
}

interface OpenPart {
  open: RunTiming[];
  openCpuMsPerRun: number;
  openLoopDelay: LoopDelay;
}

function resultOf(
  timed: readonly RunTiming[],
  cpuMsPerRun: number,
  seconds: number,
  others: readonly RunTiming[],
  open: OpenPart | null,
): CaseResult {
  const all = [...timed, ...others, ...(open?.open ?? [])];
  return {
    cpuMsPerRun,
    runsPerSecond: timed.length / seconds,
    firstP50: at(timed, 'firstEventMs', 50),
    firstP99: at(timed, 'firstEventMs', 99),
    terminalP50: at(timed, 'terminalMs', 50),
    terminalP99: at(timed, 'terminalMs', 99),
    openTerminalP50: open ? at(open.open, 'terminalMs', 50) : Number.NaN,
    openTerminalP99: open ? at(open.open, 'terminalMs', 99) : Number.NaN,
    openCpuMsPerRun: open?.openCpuMsPerRun ?? Number.NaN,
    eventsPerRun: timed.reduce((sum, t) => sum + t.events, 0) / timed.length,
    unfinished: all.filter((t) => !t.completed).length,
    ...(open ? { openLoopDelay: open.openLoopDelay } : {}),
  };
}

/**
 * The untraced and the traced platform process of `store`, up together: warm-up, then the timed runs
 * in SETTINGS.rounds rounds taking turns (ABBA), CPU of each over the whole window (until the sink is
 * quiet, so every span of the timed runs was exported inside it), then the untraced one's open loop.
 */
async function measurePair(
  store: Store,
  stub: Stub,
  sink: OtlpSink,
  progress: (m: string) => void,
): Promise<{ plain: CaseResult; traced: CaseResult }> {
  progress(`${store} and ${store} traced: starting, ${SETTINGS.warmup} warm-up runs each`);
  const started = await Promise.allSettled([
    startPlatform(store, stub),
    startPlatform(store, stub, sink.url),
  ]);
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const [plain, traced] = ok;
    if (!plain || !traced)
      throw (started.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
    const sides = [plain, traced];
    const warm = await Promise.all(
      sides.map((side) => closedLoop(side.target, SETTINGS.warmup, SETTINGS.concurrency)),
    );
    progress(`${store}: waiting for the sink to be quiet`);
    await sink.quiet(BSP_SCHEDULE_DELAY_MS + 1_000);
    const spansBefore = sink.spans();
    const byScopeBefore = new Map(sink.spansByScope());
    await plain.node.loopDelay(); // a new window
    const cpuBefore = sides.map((side) => cpuSeconds(side.node.pid));
    const timed: RunTiming[][] = [[], []];
    const seconds = [0, 0];
    const ownCpu = [0, 0];
    const perRound = Math.ceil(SETTINGS.runs / SETTINGS.rounds);
    for (let round = 0; round < SETTINGS.rounds; round += 1) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      const runs = Math.min(perRound, SETTINGS.runs - round * perRound);
      for (const i of order) {
        progress(
          `${store}: round ${round + 1}/${SETTINGS.rounds}, ${runs} timed runs ${i === 0 ? 'untraced' : 'traced'}`,
        );
        const begun = performance.now();
        const cpuAt = cpuSeconds(sides[i]!.node.pid);
        timed[i]!.push(...(await closedLoop(sides[i]!.target, runs, SETTINGS.concurrency)));
        ownCpu[i]! += cpuSeconds(sides[i]!.node.pid) - cpuAt;
        seconds[i]! += (performance.now() - begun) / 1000;
      }
    }
    const loopDelay = await plain.node.loopDelay();
    progress(`${store}: waiting for the traced process's last export`);
    await sink.quiet(BSP_SCHEDULE_DELAY_MS + 1_000);
    const windowCpuMs = sides.map(
      (side, i) => ((cpuSeconds(side.node.pid) - cpuBefore[i]!) * 1000) / timed[i]!.length,
    );
    const cpuMs = ownCpu.map((cpu, i) => (cpu * 1000) / timed[i]!.length);
    const spans = sink.spans() - spansBefore;
    if (spans === 0) throw new Error(`${store} traced: the OTLP sink received no span over the timed runs`);
    const scopes = [...sink.spansByScope()].map(
      ([scope, count]) =>
        `${scope || '(no scope)'} ${fmt((count - (byScopeBefore.get(scope) ?? 0)) / timed[1]!.length)}`,
    );
    notes.push(
      `${store} traced: ${fmt(spans / timed[1]!.length)} spans per run received by the sink over the timed runs (${scopes.join(', ')}); ${sink.requests()} export requests so far`,
    );
    progress(`${store}: ${SETTINGS.openRuns} runs at ${SETTINGS.openRate} runs/s (untraced)`);
    const open = await openPart(plain);
    return {
      plain: {
        ...resultOf(timed[0]!, cpuMs[0]!, seconds[0]!, warm[0]!, open),
        windowCpuMsPerRun: windowCpuMs[0]!,
        loopDelay,
      },
      traced: {
        ...resultOf(timed[1]!, cpuMs[1]!, seconds[1]!, warm[1]!, null),
        windowCpuMsPerRun: windowCpuMs[1]!,
        spansPerRun: spans / timed[1]!.length,
      },
    };
  } finally {
    await Promise.all(ok.map((side) => side.node.stop()));
  }
}

async function measureBare(stub: Stub, progress: (m: string) => void): Promise<CaseResult> {
  progress(`bare: starting, ${SETTINGS.warmup} warm-up runs`);
  const { node, target } = await startBare(stub);
  try {
    const warm = await closedLoop(target, SETTINGS.warmup, SETTINGS.concurrency);
    progress(`bare: ${SETTINGS.runs} timed runs`);
    await node.loopDelay(); // a new window
    const cpuBefore = cpuSeconds(node.pid);
    const started = performance.now();
    const timed = await closedLoop(target, SETTINGS.runs, SETTINGS.concurrency);
    const seconds = (performance.now() - started) / 1000;
    const cpuMsPerRun = ((cpuSeconds(node.pid) - cpuBefore) * 1000) / SETTINGS.runs;
    const loopDelay = await node.loopDelay();
    progress(`bare: ${SETTINGS.openRuns} runs at ${SETTINGS.openRate} runs/s`);
    const open = await openPart({ node, target });
    return { ...resultOf(timed, cpuMsPerRun, seconds, warm, open), loopDelay };
  } finally {
    await node.stop();
  }
}

const fmt = (n: number): string => n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2);

function describe(name: CaseName, r: CaseResult): string {
  const health =
    r.unfinished === 0 ? 'every run completed' : `PROBLEM: ${r.unfinished} runs did not complete`;
  const open = Number.isNaN(r.openCpuMsPerRun)
    ? ''
    : `open loop at ${SETTINGS.openRate} runs/s: CPU ${fmt(r.openCpuMsPerRun)} ms/run, terminal p50/p99 ${fmt(r.openTerminalP50)}/${fmt(r.openTerminalP99)} ms; `;
  const window =
    r.windowCpuMsPerRun === undefined ? '' : ` (${fmt(r.windowCpuMsPerRun)} over the alternating window)`;
  const delay = (d: LoopDelay | undefined, where: string) =>
    d
      ? `; event-loop delay ${where} p50/p99/max ${fmt(d.p50)}/${fmt(d.p99)}/${fmt(d.max)} ms (${d.over5} samples over 5 ms, ${d.over20} over 20)`
      : '';
  return `${name}: ${fmt(r.eventsPerRun)} events per run streamed; closed loop ${fmt(r.runsPerSecond)} runs/s, CPU ${fmt(r.cpuMsPerRun)} ms/run${window}, first event p50/p99 ${fmt(r.firstP50)}/${fmt(r.firstP99)} ms, terminal p50/p99 ${fmt(r.terminalP50)}/${fmt(r.terminalP99)} ms; ${open}${health}${delay(r.loopDelay, 'closed loop')}${delay(r.openLoopDelay, 'open loop')}`;
}

/** Traced against untraced, same store, same bench run: runs per CPU second (the target) and latency. */
function tracingRows(store: Store, traced: CaseResult, plain: CaseResult): Row[] {
  const vs = (metric: string) => `${metric}, ${store} traced, OTLP (baseline: ${store} untraced)`;
  return [
    {
      metric: vs('runs per CPU second'),
      unit: 'runs/s',
      value: 1000 / (traced.windowCpuMsPerRun ?? Number.NaN),
      baseline: 1000 / (plain.windowCpuMsPerRun ?? Number.NaN),
      target: TRACING_TARGET,
    },
    {
      metric: vs('runs/s'),
      unit: 'runs/s',
      value: traced.runsPerSecond,
      baseline: plain.runsPerSecond,
      target: null,
    },
    {
      metric: vs('submit → terminal p50'),
      unit: 'ms',
      value: traced.terminalP50,
      baseline: plain.terminalP50,
      target: null,
    },
  ];
}

function rowsOf(store: Store, r: CaseResult, bare: CaseResult): Row[] {
  const vs = (metric: string) => `${metric}, ${store} (baseline: bare)`;
  return [
    {
      metric: vs('CPU per run'),
      unit: 'ms',
      value: r.cpuMsPerRun,
      baseline: bare.cpuMsPerRun,
      target: CPU_TARGET,
    },
    {
      metric: vs('runs/s'),
      unit: 'runs/s',
      value: r.runsPerSecond,
      baseline: bare.runsPerSecond,
      target: null,
    },
    {
      metric: vs('submit → first event p50'),
      unit: 'ms',
      value: r.firstP50,
      baseline: bare.firstP50,
      target: null,
    },
    {
      metric: vs('submit → first event p99'),
      unit: 'ms',
      value: r.firstP99,
      baseline: bare.firstP99,
      target: null,
    },
    {
      metric: vs('submit → terminal p50'),
      unit: 'ms',
      value: r.terminalP50,
      baseline: bare.terminalP50,
      target: null,
    },
    {
      metric: vs('submit → terminal p99'),
      unit: 'ms',
      value: r.terminalP99,
      baseline: bare.terminalP99,
      target: null,
    },
  ];
}

const runCost: BenchModule = {
  title: 'run-cost',
  notes,
  async run(progress) {
    const stub = await startStub();
    const sink = await startOtlpSink();
    try {
      const results = new Map<CaseName, CaseResult>();
      const bareResult = await measureBare(stub, progress);
      results.set('bare', bareResult);
      notes.push(describe('bare', bareResult));
      for (const store of STORES) {
        const { plain, traced } = await measurePair(store, stub, sink, progress);
        results.set(store, plain);
        results.set(`${store} traced`, traced);
        notes.push(describe(store, plain), describe(`${store} traced`, traced));
      }
      const bare = results.get('bare')!;
      const sqlite = results.get('sqlite')!;
      const memory = results.get('memory')!;
      return [
        ...rowsOf('memory', memory, bare),
        ...rowsOf('sqlite', sqlite, bare),
        ...tracingRows('sqlite', results.get('sqlite traced')!, sqlite),
        ...tracingRows('memory', results.get('memory traced')!, memory),
        {
          metric: `submit → terminal p99 at ${SETTINGS.openRate} runs/s, sqlite (baseline: its p50)`,
          unit: 'ms',
          value: sqlite.openTerminalP99,
          baseline: sqlite.openTerminalP50,
          target: TAIL_TARGET,
        },
        {
          metric: `submit → terminal p99 at ${SETTINGS.openRate} runs/s, bare (baseline: its p50)`,
          unit: 'ms',
          value: bare.openTerminalP99,
          baseline: bare.openTerminalP50,
          target: null,
        },
        ...loopDelayRows(sqlite, memory, bare),
      ];
    } finally {
      await Promise.all([stub.close(), sink.close()]);
    }
  },
};

export default runCost;

/**
 * The event-loop delay each server saw (1 ms sampling). Target: at the open-loop rate, where the tail
 * target is, the SQLite store's p99 under 5 ms (a stall that recurs); the longest single delay (which
 * a GC pause or the OS descheduling the process on a busy machine also makes) against bare's, and the
 * closed loop, for information.
 */
function loopDelayRows(sqlite: CaseResult, memory: CaseResult, bare: CaseResult): Row[] {
  const p99 = (delay: LoopDelay | undefined) => delay?.p99 ?? Number.NaN;
  const max = (delay: LoopDelay | undefined) => delay?.max ?? Number.NaN;
  return [
    {
      metric: `event-loop delay p99 at ${SETTINGS.openRate} runs/s, sqlite (baseline: bare)`,
      unit: 'ms',
      value: p99(sqlite.openLoopDelay),
      baseline: p99(bare.openLoopDelay),
      target: LOOP_DELAY_TARGET,
    },
    {
      metric: `longest event-loop delay at ${SETTINGS.openRate} runs/s, sqlite (baseline: bare)`,
      unit: 'ms',
      value: max(sqlite.openLoopDelay),
      baseline: max(bare.openLoopDelay),
      target: null,
    },
    {
      metric: `longest event-loop delay, ${SETTINGS.concurrency} in flight, sqlite (baseline: bare)`,
      unit: 'ms',
      value: max(sqlite.loopDelay),
      baseline: max(bare.loopDelay),
      target: null,
    },
    {
      metric: `longest event-loop delay, ${SETTINGS.concurrency} in flight, memory (baseline: bare)`,
      unit: 'ms',
      value: max(memory.loopDelay),
      baseline: max(bare.loopDelay),
      target: null,
    },
  ];
}

/** The `p`th percentile of one latency of the runs. */
function at(runs: readonly RunTiming[], key: 'firstEventMs' | 'terminalMs', p: number): number {
  return percentile(
    runs.map((run) => run[key]),
    p,
  );
}
