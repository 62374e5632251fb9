import { availableParallelism } from 'node:os';
import { median } from '../lib/measure.ts';
import { nextSqlitePath } from '../lib/runtime.ts';
import type { BenchRedis } from './bench-redis.ts';
import { BENCH_REDIS_URL } from '../lib/bench-redis.ts';
import { startGateway, type GatewayProcess } from './gateway-process.ts';
import { busyFraction, cpuSeconds, machineCpu } from './process-cpu.ts';
import { CALLS_PER_RUN, STUB_PLUGINS_MODULE } from './stub-plugins.ts';
import type { Stub } from './stub-server.ts';
import { submitRuns, waitFinished } from './submit-runs.ts';

/** The single-process SQLite baseline, or one API process and `workers` worker processes on Redis. */
export type ScaleCase = { store: 'sqlite' } | { store: 'redis'; workers: number };

export interface ScaleSettings {
  /** Runs one process executes at once: CONCURRENCY_LIMIT of the single process, WORKER_CONCURRENCY of a worker. */
  perWorker: number;
  /** Runs per timed round. */
  runs: number;
  /** Runs per executing process (the single one, or each worker) before the first timed round, not timed. */
  warmup: number;
  /** Timed rounds per case, the cases taking turns; the table shows their median. */
  rounds: number;
}

/** CPU per run of one group of processes (`sqlite`, `api`, `workers`, `redis`), in ms. */
export type CpuParts = Record<string, number>;

export interface CaseResult {
  runsPerSecond: number;
  /** CPU ms per run summed over every process of the case (Redis included for the cluster). */
  cpuMsPerRun: number;
  parts: CpuParts;
  /** Every round's runs/s and CPU ms per run, for the notes. */
  rounds: { runsPerSecond: number; cpuMsPerRun: number }[];
  /** Runs that did not complete (failed or cancelled), warm-up included; 0 when healthy. */
  unfinished: number;
  /** Stub calls not matching CALLS_PER_RUN × runs, over all rounds; 0 when healthy. */
  missingCalls: number;
  /** Medians over the rounds of the machine's CPU use and the case's own share, 0–1 of all CPUs. */
  machineBusy: number;
  ownBusy: number;
}

export const caseLabel = (c: ScaleCase): string =>
  c.store === 'sqlite'
    ? 'single process (sqlite)'
    : `${c.workers} worker${c.workers === 1 ? '' : 's'} (redis)`;

interface Started {
  api: GatewayProcess;
  groups: Record<string, number[]>;
  stop(): Promise<void>;
}

async function startAll(starts: (() => Promise<GatewayProcess>)[]): Promise<GatewayProcess[]> {
  const settled = await Promise.allSettled(starts.map((start) => start()));
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((node) => node.stop()));
    throw failed.reason;
  }
  return started;
}

async function startCase(c: ScaleCase, s: ScaleSettings, stub: Stub, redis: BenchRedis): Promise<Started> {
  const common = {
    PLUGINS: STUB_PLUGINS_MODULE,
    SCALE_STUB_URL: stub.url,
    // Set, so no process starts the bundled demo backends; the flow never calls them.
    RAG_URL: stub.url,
    EXAM_URL: stub.url,
  };
  if (c.store === 'sqlite') {
    const [node] = await startAll([
      () =>
        startGateway({
          ...common,
          STORE: 'sqlite',
          SQLITE_PATH: nextSqlitePath(),
          CONCURRENCY_LIMIT: String(s.perWorker),
        }),
    ]);
    return { api: node!, groups: { sqlite: [node!.pid] }, stop: () => node!.stop() };
  }
  const prefix = redis.newPrefix();
  const cluster = {
    ...common,
    STORE: 'redis',
    REDIS_URL: BENCH_REDIS_URL,
    REDIS_PREFIX: prefix,
    CONCURRENCY_LIMIT: String(s.perWorker * c.workers),
    WORKER_CONCURRENCY: String(s.perWorker),
  };
  const stopAll = async (nodes: GatewayProcess[]) => {
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.deleteKeys(prefix);
  };
  let nodes: GatewayProcess[] = [];
  try {
    nodes = await startAll([
      () => startGateway({ ...cluster, ROLE: 'api' }),
      ...Array.from({ length: c.workers }, () => () => startGateway({ ...cluster, ROLE: 'worker' })),
    ]);
  } catch (error) {
    await redis.deleteKeys(prefix);
    throw error;
  }
  const [api, ...workers] = nodes;
  return {
    api: api!,
    groups: { api: [api!.pid], workers: workers.map((w) => w.pid), redis: [redis.pid] },
    stop: () => stopAll(nodes),
  };
}

const cpuOf = (groups: Record<string, number[]>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(groups).map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)]),
  );

/** One timed round of a case: runs per second and CPU ms per run by group of processes. */
export interface RoundResult {
  runsPerSecond: number;
  parts: CpuParts;
  /** Runs failed or cancelled so far in this case (warm-up included). */
  unfinished: number;
  /** Stub calls in the round minus CALLS_PER_RUN × runs (0 when every tool call happened once). */
  extraCalls: number;
  /** The whole machine's CPU use during the round, 0–1 of all CPUs: near 1, the CPUs, not the I/O, set the pace. */
  machineBusy: number;
  /** The case's own processes' share of all CPUs during the round, 0–1. */
  ownBusy: number;
}

/** A case's processes, started and warmed up, ready for timed rounds. */
export interface OpenCase {
  readonly scaleCase: ScaleCase;
  round(): Promise<RoundResult>;
  stop(): Promise<void>;
}

/**
 * Starts the case's processes and warms them up. Each `round()` then times `runs` runs: from the first
 * submission until `/v1/stats` counts every run finished, reading CPU from `/proc` for every server
 * process (and redis-server for the cluster) before and after.
 */
export async function openCase(
  c: ScaleCase,
  s: ScaleSettings,
  stub: Stub,
  redis: BenchRedis,
): Promise<OpenCase> {
  const { api, groups, stop } = await startCase(c, s, stub, redis);
  let expected = 0;
  try {
    // Each executing process has its own JIT to warm: a worker's share of a shared warm-up is 1/N of it.
    const warmup = s.warmup * (c.store === 'sqlite' ? 1 : c.workers);
    await submitRuns(api.url, warmup);
    expected += warmup;
    await waitFinished(api.url, expected);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    scaleCase: c,
    stop,
    async round() {
      const callsBefore = stub.calls();
      const machineBefore = machineCpu();
      const before = cpuOf(groups);
      const t0 = performance.now();
      await submitRuns(api.url, s.runs);
      expected += s.runs;
      const finished = await waitFinished(api.url, expected);
      const seconds = (performance.now() - t0) / 1000;
      const after = cpuOf(groups);
      const machineAfter = machineCpu();
      const own = Object.keys(groups).reduce(
        (sum, name) => sum + (after[name] ?? 0) - (before[name] ?? 0),
        0,
      );
      return {
        machineBusy: busyFraction(machineBefore, machineAfter),
        ownBusy: own / seconds / availableParallelism(),
        runsPerSecond: s.runs / seconds,
        parts: Object.fromEntries(
          Object.keys(groups).map((name) => [
            name,
            (((after[name] ?? 0) - (before[name] ?? 0)) * 1000) / s.runs,
          ]),
        ),
        // /v1/stats counts from the start, warm-up included.
        unfinished: finished.failed + finished.cancelled,
        extraCalls: stub.calls() - callsBefore - CALLS_PER_RUN * s.runs,
      };
    },
  };
}

const totalOf = (parts: CpuParts): number => Object.values(parts).reduce((sum, ms) => sum + ms, 0);

/** The medians of a case's rounds (each part's median on its own, the total as the median of the totals). */
export function summarize(rounds: readonly RoundResult[]): CaseResult {
  const names = Object.keys(rounds[0]?.parts ?? {});
  return {
    runsPerSecond: median(rounds.map((r) => r.runsPerSecond)),
    cpuMsPerRun: median(rounds.map((r) => totalOf(r.parts))),
    parts: Object.fromEntries(names.map((name) => [name, median(rounds.map((r) => r.parts[name] ?? 0))])),
    rounds: rounds.map((r) => ({ runsPerSecond: r.runsPerSecond, cpuMsPerRun: totalOf(r.parts) })),
    unfinished: Math.max(0, ...rounds.map((r) => r.unfinished)),
    missingCalls: rounds.reduce((sum, r) => sum + Math.abs(r.extraCalls), 0),
    machineBusy: median(rounds.map((r) => r.machineBusy)),
    ownBusy: median(rounds.map((r) => r.ownBusy)),
  };
}
