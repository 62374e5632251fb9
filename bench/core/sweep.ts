import type { SessionStore, UnnumberedEvent, WriteBatch } from '../../core/index.ts';
import { envelope } from '../../core/events/envelope.ts';
import { MemoryStore } from '../../stores/index.ts';
import { idleSessionBatches, liveSessionBatches } from '../lib/fixtures.ts';
import { compare, timeMs, type Compared } from '../lib/measure.ts';
import { openSqliteCopy, sqliteTemplate, startRuntime, type StoreKind } from '../lib/runtime.ts';

/** Sessions per measured sweep. */
export const SESSIONS = 100_000;
/** The warm-up sweeps are smaller: they only need to warm the code, not the clock. */
const WARMUP_SESSIONS = 10_000;
/** Sweeps timed per run when none is due: each takes milliseconds, and changes nothing. */
export const QUIET_SWEEPS = 20;

type OpenSeeded = () => Promise<SessionStore>;

/**
 * Opens fresh stores holding the sessions `batches` makes, written with one `writeMany`.
 * SQLite is seeded once into a template file that each run copies; memory is seeded per run.
 */
async function seeder(kind: StoreKind, batches: () => WriteBatch[]): Promise<OpenSeeded> {
  if (kind === 'memory') {
    return async () => {
      const store = new MemoryStore();
      await store.writeMany(batches());
      return store;
    };
  }
  const template = await sqliteTemplate((store) => store.writeMany(batches()));
  return async () => openSqliteCopy(template);
}

/** ms for `runtime.sweeper.sweep()` to expire every seeded session (one `expireDue` store call). */
async function sweepThroughRuntime(open: OpenSeeded, count: number): Promise<number> {
  const runtime = await startRuntime(await open());
  try {
    let expired = 0;
    const ms = await timeMs(async () => {
      ({ expired } = await runtime.sweeper.sweep());
    });
    if (expired !== count) throw new Error(`sweep expired ${expired} of ${count} sessions`);
    return ms;
  } finally {
    await runtime.shutdown();
  }
}

/** The cuts of the default policy (idle after 30 minutes, expired 10 minutes later), as the sweeper takes them. */
function cuts(now: number): { idleBefore: string; expireBefore: string } {
  return {
    idleBefore: new Date(now - 1_800_000).toISOString(),
    expireBefore: new Date(now - 2_400_000).toISOString(),
  };
}

/** The `session.expired` envelope the sweeper hands the store, which every expired session's event copies. */
function expiryTemplate(ts: string): UnnumberedEvent {
  const draft = {
    type: 'session.expired' as const,
    message: 'session expired (ttl)',
    meta: { reason: 'ttl' },
  };
  return envelope('', null, draft, ts);
}

/**
 * The baseline: the store's share of the same sweep, on an identically seeded store: the idle
 * candidates query (nothing to idle here), then the set-based `expireDue`.
 */
async function sweepInStore(open: OpenSeeded, count: number): Promise<number> {
  const store = await open();
  try {
    let expired = 0;
    const ms = await timeMs(async () => {
      const now = Date.now();
      const { idleBefore, expireBefore } = cuts(now);
      await store.sweepCandidates({ idleBefore, force: false });
      const event = expiryTemplate(new Date(now).toISOString());
      expired = (await store.expireDue({ expireBefore, force: false, exclude: [], event })).length;
    });
    if (expired !== count) throw new Error(`store sweep expired ${expired} of ${count} sessions`);
    return ms;
  } finally {
    await store.close();
  }
}

/** Median ms for the runtime's sweep (value) and for the store's share of it (baseline). */
export async function measureSweep(kind: StoreKind): Promise<Compared> {
  const small = await seeder(kind, () => idleSessionBatches(WARMUP_SESSIONS));
  await sweepThroughRuntime(small, WARMUP_SESSIONS);
  await sweepInStore(small, WARMUP_SESSIONS);
  const full = await seeder(kind, () => idleSessionBatches(SESSIONS));
  return compare(
    { warmup: 0, runs: 3 },
    () => sweepThroughRuntime(full, SESSIONS),
    () => sweepInStore(full, SESSIONS),
  );
}

/** Mean ms of `runtime.sweeper.sweep()` over a store where no session is due (the sweep finds nothing). */
async function quietSweepThroughRuntime(open: OpenSeeded): Promise<number> {
  const runtime = await startRuntime(await open());
  try {
    await runtime.sweeper.sweep(); // warm
    const ms = await timeMs(async () => {
      for (let i = 0; i < QUIET_SWEEPS; i += 1) {
        const { idled, expired } = await runtime.sweeper.sweep();
        if (idled + expired !== 0) throw new Error(`quiet sweep changed ${idled + expired} sessions`);
      }
    });
    return ms / QUIET_SWEEPS;
  } finally {
    await runtime.shutdown();
  }
}

/** The baseline: mean ms of the store's share alone (idle candidates query, then an `expireDue` that finds none). */
async function quietSweepInStore(open: OpenSeeded): Promise<number> {
  const store = await open();
  try {
    const query = async () => {
      const now = Date.now();
      const { idleBefore, expireBefore } = cuts(now);
      const { toIdle } = await store.sweepCandidates({ idleBefore, force: false });
      const event = expiryTemplate(new Date(now).toISOString());
      const expired = await store.expireDue({ expireBefore, force: false, exclude: [], event });
      return toIdle.length + expired.length;
    };
    await query(); // warm
    const ms = await timeMs(async () => {
      for (let i = 0; i < QUIET_SWEEPS; i += 1) {
        if ((await query()) !== 0) throw new Error('quiet store sweep found sessions to idle or expire');
      }
    });
    return ms / QUIET_SWEEPS;
  } finally {
    await store.close();
  }
}

/**
 * Median ms of a sweep over SESSIONS sessions of which none is due (the common tick: half active,
 * half idle, all recent), through the runtime (value) and as the store's query alone (baseline).
 */
export async function measureQuietSweep(kind: StoreKind): Promise<Compared> {
  const seeded = await seeder(kind, () => liveSessionBatches(SESSIONS));
  return compare(
    { warmup: 1, runs: 3 },
    () => quietSweepThroughRuntime(seeded),
    () => quietSweepInStore(seeded),
  );
}
