import {
  CONCURRENT_CREATES,
  CREATES,
  IN_FLIGHT as CREATES_IN_FLIGHT,
  measureConcurrentCreate,
  measureCreate,
} from './core/create.ts';
import { PER_CALL } from './core/floor.ts';
import { EVENTS_PER_SESSION, measureHeap, SESSIONS as HEAP_SESSIONS } from './core/heap.ts';
import { measureQuietSweep, measureSweep, QUIET_SWEEPS, SESSIONS as SWEPT } from './core/sweep.ts';
import { EVENTS, IN_FLIGHT, measureThroughput } from './core/throughput.ts';
import type { BenchModule } from './lib/module.ts';
import { removeTempFiles, STORE_KINDS, type StoreKind } from './lib/runtime.ts';
import type { Row } from './lib/table.ts';

const count = (n: number): string => n.toLocaleString('en-US');

async function throughputRow(kind: StoreKind): Promise<Row> {
  const { value, baseline } = await measureThroughput(kind);
  return {
    metric: `events/s through a session (${kind})`,
    unit: 'ev/s',
    value,
    baseline,
    target: { op: '>=', limit: 0.7, on: 'ratio' },
  };
}

async function concurrentCreateRow(kind: StoreKind): Promise<Row> {
  const { value, baseline } = await measureConcurrentCreate(kind);
  return {
    metric: `sessions.create(), ${CREATES_IN_FLIGHT} in flight (${kind})`,
    unit: 'µs',
    value,
    baseline,
    // The target is SQLite's, the default store; the memory figure is for information.
    target: kind === 'sqlite' ? { op: '<', limit: 20, on: 'value' } : null,
  };
}

async function createRow(kind: StoreKind): Promise<Row> {
  const { value, baseline } = await measureCreate(kind);
  // For information: one caller awaiting each create pays a whole store write (on SQLite a
  // transaction) and a turn of the event loop; the target is on concurrent callers, above.
  return { metric: `sessions.create(), awaited alone (${kind})`, unit: 'µs', value, baseline, target: null };
}

async function sweepRow(kind: StoreKind): Promise<Row> {
  const { value, baseline } = await measureSweep(kind);
  const target = { op: '<', limit: 300, on: 'value' } as const;
  return { metric: `sweep 100k, all due: expire 100k (${kind})`, unit: 'ms', value, baseline, target };
}

async function quietSweepRow(kind: StoreKind): Promise<Row> {
  const { value, baseline } = await measureQuietSweep(kind);
  const target = { op: '<', limit: 100, on: 'value' } as const;
  return { metric: `sweep 100k, none due (${kind})`, unit: 'ms', value, baseline, target };
}

async function heapRow(kind: StoreKind): Promise<Row> {
  const { value, baseline } = await measureHeap(kind);
  return {
    metric: `heap per idle session, 200 events (${kind})`,
    unit: 'KB',
    value: value / 1024,
    baseline: baseline / 1024,
    target: { op: '<', limit: 100, on: 'value' },
  };
}

const MEASUREMENTS: readonly {
  name: string;
  /** The stores it runs on, one row each; `null`: it runs once, on none. */
  kinds: readonly StoreKind[] | null;
  row: (kind: StoreKind) => Promise<Row>;
}[] = [
  { name: 'throughput', kinds: STORE_KINDS, row: throughputRow },
  { name: `session create, ${CREATES_IN_FLIGHT} in flight`, kinds: STORE_KINDS, row: concurrentCreateRow },
  { name: 'session create, awaited alone', kinds: STORE_KINDS, row: createRow },
  { name: `sweep of ${count(SWEPT)} sessions, all due`, kinds: STORE_KINDS, row: sweepRow },
  { name: `sweep of ${count(SWEPT)} sessions, none due`, kinds: STORE_KINDS, row: quietSweepRow },
  // SQLite first: it is the default store, the one the target is about.
  { name: 'heap per idle session', kinds: ['sqlite', 'memory'], row: heapRow },
];

/** The stream core: event throughput, session create, TTL sweep, heap per idle session. */
const core: BenchModule = {
  title: 'core',
  notes: [
    `throughput: ${count(EVENTS.memory)} (memory) / ${count(EVENTS.sqlite)} (SQLite) one-event EventLog.commit calls into one session, ${IN_FLIGHT} in flight then awaited together, timed until its one live events$() subscriber has them all; baseline: the durable-append floor of the same store, as many events appended to one session of a fresh store by envelope() + store.writeMany of one-event batches, ${count(PER_CALL)} per call (the log's group), each call awaited; no queue, no hub`,
    `create, ${CREATES_IN_FLIGHT} in flight: ${CREATES_IN_FLIGHT} callers each calling sessions.create() in a loop, one awaited at a time, until ${count(CONCURRENT_CREATES)} sessions exist; µs = wall time ÷ creates; baseline: the same create batches (session record + session.created event) built by hand and written ${CREATES_IN_FLIGHT} per store.writeMany`,
    `create, awaited alone: ${count(CREATES)} sessions.create() calls, each awaited before the next; baseline: store.write of the same create batch, each awaited (for information: a lone caller pays a whole store write, on SQLite a transaction)`,
    `sweep, all due: sweeper.sweep() expiring ${count(SWEPT)} idle sessions past their TTL (seeded with one writeMany; SQLite copies a seeded file per run); baseline: the store's share, i.e. its idle-candidates query + one set-based expireDue of the same sessions`,
    `sweep, none due: sweeper.sweep() over ${count(SWEPT)} sessions of which none is due (half active a minute ago, half idle within their TTL), mean of ${QUIET_SWEEPS} sweeps; baseline: the store's sweepCandidates alone, on the same store`,
    `heap: heapUsed growth after gc for ${HEAP_SESSIONS} idle sessions (no subscriber) of ${EVENTS_PER_SESSION} events each, committed one per commit through the runtime; baseline: the same events as plain objects parsed from JSON`,
  ],
  async run(progress) {
    const rows: Row[] = [];
    for (const measurement of MEASUREMENTS) {
      for (const kind of measurement.kinds ?? [null]) {
        progress(kind ? `${measurement.name} (${kind})` : measurement.name);
        try {
          rows.push(await measurement.row(kind ?? 'memory'));
        } finally {
          removeTempFiles();
        }
      }
    }
    return rows;
  },
};

export default core;
