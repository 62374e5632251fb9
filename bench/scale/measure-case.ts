import { median } from '../lib/measure.ts';
import { nextSqlitePath } from '../lib/runtime.ts';
import type { BenchRedis } from './bench-redis.ts';
import { BENCH_REDIS_URL } from './bench-redis.ts';
import { startGateway, type GatewayProcess } from './gateway-process.ts';
import { cpuSeconds } from './process-cpu.ts';
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
  /** Runs before the first timed round (JIT, connections, lazy imports), not timed. */
  warmup: number;
  /** Timed rounds per case; the table shows their median. */
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
  /** Runs that did not complete (failed or cancelled), over all rounds; 0 when healthy. */
  unfinished: number;
  /** Stub calls not matching CALLS_PER_RUN × runs, over all rounds; 0 when healthy. */
  missingCalls: number;
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

/**
 * Starts the case's processes, warms them up, then times `rounds` rounds of `runs` runs each: from the
 * first submission until `/v1/stats` counts every run finished. CPU is read from `/proc` for every
 * server process (and redis-server for the cluster) before and after each round.
 */
export async function measureCase(
  c: ScaleCase,
  s: ScaleSettings,
  stub: Stub,
  redis: BenchRedis,
  progress: (message: string) => void,
): Promise<CaseResult> {
  progress(`${caseLabel(c)}: starting`);
  const started = await startCase(c, s, stub, redis);
  try {
    const { api, groups } = started;
    await submitRuns(api.url, s.warmup);
    let expected = s.warmup;
    await waitFinished(api.url, expected);
    const rounds: CaseResult['rounds'] = [];
    const partsByRound: CpuParts[] = [];
    let unfinished = 0;
    let missingCalls = 0;
    for (let round = 1; round <= s.rounds; round += 1) {
      progress(`${caseLabel(c)}: round ${round} of ${s.rounds}`);
      const callsBefore = stub.calls();
      const before = cpuOf(groups);
      const t0 = performance.now();
      await submitRuns(api.url, s.runs);
      expected += s.runs;
      const finished = await waitFinished(api.url, expected);
      const seconds = (performance.now() - t0) / 1000;
      const after = cpuOf(groups);
      // /v1/stats counts from the start, warm-up included.
      unfinished = finished.failed + finished.cancelled;
      missingCalls += Math.abs(stub.calls() - callsBefore - CALLS_PER_RUN * s.runs);
      const parts = Object.fromEntries(
        Object.keys(groups).map((name) => [
          name,
          (((after[name] ?? 0) - (before[name] ?? 0)) * 1000) / s.runs,
        ]),
      );
      partsByRound.push(parts);
      rounds.push({
        runsPerSecond: s.runs / seconds,
        cpuMsPerRun: Object.values(parts).reduce((sum, ms) => sum + ms, 0),
      });
    }
    return {
      runsPerSecond: median(rounds.map((r) => r.runsPerSecond)),
      cpuMsPerRun: median(rounds.map((r) => r.cpuMsPerRun)),
      parts: Object.fromEntries(
        Object.keys(groups).map((name) => [name, median(partsByRound.map((p) => p[name] ?? 0))]),
      ),
      rounds,
      unfinished,
      missingCalls,
    };
  } finally {
    await started.stop();
  }
}
