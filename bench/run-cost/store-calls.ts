/**
 * What one run of the run-cost workload asks of the store: calls per run by method, batches and
 * events per run, and the time of each `writeMany` (its synchronous part: on SQLite, the whole
 * transaction). One in-process platform on a SQLite file, the bench's stub and client; not a
 * benchmark of CPU (the client shares the process), a count.
 *
 *   node --import tsx bench/run-cost/store-calls.ts [runs=500] [in-flight=10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionStore, WriteBatch } from '../../core/index.ts';
import { startPlatform } from '../../platform/platform.ts';
import { SqliteStore } from '../../stores/index.ts';
import { startStub } from '../scale/stub-server.ts';
import { closedLoop } from './client.ts';
import { RUN_COST_FLOW, RUN_COST_PLUGINS_MODULE } from './plugins.ts';

const runs = Number(process.argv[2] ?? 500);
const inFlight = Number(process.argv[3] ?? 10);

/** Counts every call of the store's methods; times `writeMany`. */
function watched(store: SqliteStore) {
  const calls = new Map<string, number>();
  const writeMs: number[] = [];
  let batches = 0;
  let events = 0;
  const target = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of Object.getOwnPropertyNames(SqliteStore.prototype)) {
    const method = target[name];
    if (name === 'constructor' || typeof method !== 'function') continue;
    target[name] = (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      if (name !== 'writeMany') return method.apply(store, args);
      const written = args[0] as WriteBatch[];
      batches += written.length;
      for (const batch of written) events += batch.events?.length ?? 0;
      const started = performance.now();
      const result = method.apply(store, args);
      writeMs.push(performance.now() - started);
      return result;
    };
  }
  return {
    reset() {
      calls.clear();
      writeMs.length = 0;
      batches = events = 0;
    },
    report(per: number) {
      const sorted = [...writeMs].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
      return {
        calls_per_run: Object.fromEntries([...calls].map(([name, n]) => [name, +(n / per).toFixed(2)])),
        batches_per_run: +(batches / per).toFixed(2),
        events_per_run: +(events / per).toFixed(2),
        write_ms: { p50: +at(0.5).toFixed(3), p99: +at(0.99).toFixed(3), max: +at(1).toFixed(3) },
      };
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'store-calls-'));
const stub = await startStub();
// The plugin reads the stub's address from the environment when it runs.
process.env.RUN_COST_STUB_URL = stub.url;
const store = SqliteStore.open({ path: join(dir, 'tributary.db') });
const watch = watched(store);
const platform = await startPlatform(
  { ...process.env, PORT: '0', LOG_LEVEL: 'warn', STORE: 'sqlite', PLUGINS: RUN_COST_PLUGINS_MODULE },
  { store: store as SessionStore },
);
try {
  const target = { kind: 'platform' as const, url: platform.url, flow: RUN_COST_FLOW };
  await closedLoop(target, Math.min(100, runs), inFlight);
  watch.reset();
  await closedLoop(target, runs, inFlight);
  console.log(JSON.stringify({ runs, in_flight: inFlight, ...watch.report(runs) }, null, 2));
} finally {
  await platform.close();
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
}
