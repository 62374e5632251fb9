/**
 * `npm run bench -- run-cost`: what one run costs the server, end to end over HTTP and SSE. The flow
 * `run_cost_three_steps` (three steps, each a tool that reports one progress event and makes one HTTP
 * call to a local stub) on real `platform/main.ts` processes with STORE=memory and STORE=sqlite, against
 * a bare server written for the bench alone (`bench/run-cost/bare-server.ts`: Koa, better-sqlite3,
 * fetch, SSE; no platform code) measured the same way by the same client in the same run.
 * Linux only (CPU from /proc of each server process).
 */
import type { BenchModule } from './lib/module.ts';
import { nextSqlitePath } from './lib/runtime.ts';
import type { Row } from './lib/table.ts';
import { closedLoop, openLoop, type RunTiming, type Target } from './run-cost/client.ts';
import { RUN_COST_FLOW, RUN_COST_PLUGINS_MODULE, STEPS_PER_RUN } from './run-cost/plugins.ts';
import { startGateway, type GatewayProcess } from './scale/gateway-process.ts';
import { cpuSeconds } from './scale/process-cpu.ts';
import { startStub, STUB_DELAY_MS, type Stub } from './scale/stub-server.ts';

const envInt = (name: string, fallback: number): number => {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};

/** RUN_COST_RUNS, RUN_COST_WARMUP, RUN_COST_OPEN_RUNS override the defaults. */
const SETTINGS = {
  runs: envInt('RUN_COST_RUNS', 500),
  warmup: envInt('RUN_COST_WARMUP', 200),
  /** CONCURRENCY_LIMIT of the platform, and runs the client keeps in flight in the closed loop. */
  concurrency: 10,
  /** The open-loop rate of the tail-latency target, and how many runs it submits at that rate. */
  openRate: 20,
  openRuns: envInt('RUN_COST_OPEN_RUNS', 300),
};

type CaseName = 'bare' | 'memory' | 'sqlite';
const CASES: readonly CaseName[] = ['bare', 'memory', 'sqlite'];

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
}

const CPU_TARGET = { op: '<', limit: 2, on: 'ratio' } as const;
const TAIL_TARGET = { op: '<', limit: 3, on: 'ratio' } as const;

const notes: string[] = [
  `workload: ${STEPS_PER_RUN} steps per run, each one tool call that reports one progress event and makes one HTTP request to a stub in the bench process that answers after ${STUB_DELAY_MS} ms; each run in a new session`,
  `platform: real platform/main.ts processes (node --import tsx, LOG_LEVEL=warn), PLUGINS=bench/run-cost/plugins.ts, CONCURRENCY_LIMIT=${SETTINGS.concurrency}, STORE=memory or STORE=sqlite (a temp SQLITE_PATH); the client sends POST /v1/runs (new session) then GET /v1/sessions/{id}/events/stream and reads it until the run's terminal event`,
  'bare: bench/run-cost/bare-server.ts in its own process (node --import tsx): POST /runs creates the session row and the run (better-sqlite3, temp file, WAL, synchronous=NORMAL), answers text/event-stream, calls the stub 3 times with fetch, writes the same 15 run events as the platform plus session.created, JSON rows of its envelope shape (one transaction to open the run, one per step, one to end it) and streams each after its commit (id:/event:/data: frames)',
  `each case: ${SETTINGS.warmup} warm-up runs, then ${SETTINGS.runs} timed runs with ${SETTINGS.concurrency} in flight (closed loop: runs/s, latencies, CPU), then ${SETTINGS.openRuns} runs submitted at ${SETTINGS.openRate} runs/s whatever is still running (open loop: the tail-latency row); the cases run one after the other, each server process up only for its case`,
  'submit → first event: from just before the POST to the first SSE frame of the run (the session.created frame not counted); → terminal: to its run.completed frame. CPU per run: utime+stime from /proc/<pid>/stat of the server process only over the timed runs ÷ runs (client and stub are the bench process, not counted)',
];

/** The p-th percentile (nearest rank) of `values`. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

async function startCase(name: CaseName, stub: Stub): Promise<{ target: Target; node: GatewayProcess }> {
  if (name === 'bare') {
    const node = await startGateway(
      { RUN_COST_STUB_URL: stub.url, SQLITE_PATH: nextSqlitePath() },
      'bench/run-cost/bare-server.ts',
    );
    return { node, target: { kind: 'bare', url: node.url } };
  }
  const node = await startGateway({
    PLUGINS: RUN_COST_PLUGINS_MODULE,
    RUN_COST_STUB_URL: stub.url,
    // Set, so the process starts no bundled demo backends; the flow never calls them.
    RAG_URL: stub.url,
    EXAM_URL: stub.url,
    STORE: name,
    ...(name === 'sqlite' ? { SQLITE_PATH: nextSqlitePath() } : {}),
    CONCURRENCY_LIMIT: String(SETTINGS.concurrency),
  });
  return { node, target: { kind: 'platform', url: node.url, flow: RUN_COST_FLOW } };
}

async function measureCase(name: CaseName, stub: Stub, progress: (m: string) => void): Promise<CaseResult> {
  progress(`${name}: starting, ${SETTINGS.warmup} warm-up runs`);
  const { node, target } = await startCase(name, stub);
  try {
    const warm = await closedLoop(target, SETTINGS.warmup, SETTINGS.concurrency);
    progress(`${name}: ${SETTINGS.runs} timed runs`);
    const cpuBefore = cpuSeconds(node.pid);
    const started = performance.now();
    const timed = await closedLoop(target, SETTINGS.runs, SETTINGS.concurrency);
    const seconds = (performance.now() - started) / 1000;
    const cpuMsPerRun = ((cpuSeconds(node.pid) - cpuBefore) * 1000) / SETTINGS.runs;
    progress(`${name}: ${SETTINGS.openRuns} runs at ${SETTINGS.openRate} runs/s`);
    const openCpuBefore = cpuSeconds(node.pid);
    const open = await openLoop(target, SETTINGS.openRuns, SETTINGS.openRate);
    const openCpuMsPerRun = ((cpuSeconds(node.pid) - openCpuBefore) * 1000) / SETTINGS.openRuns;
    const all: RunTiming[] = [...warm, ...timed, ...open];
    return {
      cpuMsPerRun,
      runsPerSecond: SETTINGS.runs / seconds,
      firstP50: at(timed, 'firstEventMs', 50),
      firstP99: at(timed, 'firstEventMs', 99),
      terminalP50: at(timed, 'terminalMs', 50),
      terminalP99: at(timed, 'terminalMs', 99),
      openTerminalP50: at(open, 'terminalMs', 50),
      openTerminalP99: at(open, 'terminalMs', 99),
      openCpuMsPerRun,
      eventsPerRun: timed.reduce((sum, t) => sum + t.events, 0) / timed.length,
      unfinished: all.filter((t) => !t.completed).length,
    };
  } finally {
    await node.stop();
  }
}

const fmt = (n: number): string => n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2);

function describe(name: CaseName, r: CaseResult): string {
  const health =
    r.unfinished === 0 ? 'every run completed' : `PROBLEM: ${r.unfinished} runs did not complete`;
  return `${name}: ${fmt(r.eventsPerRun)} events per run streamed; closed loop ${fmt(r.runsPerSecond)} runs/s, CPU ${fmt(r.cpuMsPerRun)} ms/run, first event p50/p99 ${fmt(r.firstP50)}/${fmt(r.firstP99)} ms, terminal p50/p99 ${fmt(r.terminalP50)}/${fmt(r.terminalP99)} ms; open loop at ${SETTINGS.openRate} runs/s: CPU ${fmt(r.openCpuMsPerRun)} ms/run, terminal p50/p99 ${fmt(r.openTerminalP50)}/${fmt(r.openTerminalP99)} ms; ${health}`;
}

function rowsOf(store: 'memory' | 'sqlite', r: CaseResult, bare: CaseResult): Row[] {
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
    try {
      const results = new Map<CaseName, CaseResult>();
      for (const name of CASES) {
        const result = await measureCase(name, stub, progress);
        results.set(name, result);
        notes.push(describe(name, result));
      }
      const bare = results.get('bare')!;
      const sqlite = results.get('sqlite')!;
      return [
        ...rowsOf('memory', results.get('memory')!, bare),
        ...rowsOf('sqlite', sqlite, bare),
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
      ];
    } finally {
      await stub.close();
    }
  },
};

export default runCost;

/** The `p`th percentile of one latency of the runs. */
function at(runs: readonly RunTiming[], key: 'firstEventMs' | 'terminalMs', p: number): number {
  return percentile(
    runs.map((run) => run[key]),
    p,
  );
}
