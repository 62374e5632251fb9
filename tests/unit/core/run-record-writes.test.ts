import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime, WriteBatch } from '../../../core/index.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';

/** What each batch of a run wrote: its event types, and the run's status if it carried the record. */
interface Written {
  events: string[];
  run: string | null;
}

/** The memory store, noting every batch; `shared` says it as a Redis store does. */
class WatchedStore extends MemoryStore {
  readonly batches: WriteBatch[] = [];
  runReads = 0;

  constructor(shared: boolean) {
    super();
    Object.defineProperty(this, 'shared', { value: shared });
  }

  override writeMany(batches: readonly WriteBatch[]) {
    this.batches.push(...batches);
    return super.writeMany(batches);
  }

  override getRun(sessionId: string, runId: string) {
    this.runReads += 1;
    return super.getRun(sessionId, runId);
  }

  writtenFor(runId: string): Written[] {
    return this.batches
      .filter((b) => b.events?.some((e) => e.run_id === runId) || b.runs?.some((r) => r.id === runId))
      .map((b) => ({
        events: (b.events ?? []).map((e) => e.type),
        run: b.runs?.find((r) => r.id === runId)?.status ?? null,
      }));
  }
}

describe("a run's record in its writes", () => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.shutdown();
    runtime = undefined;
  });

  async function runAsk(store: WatchedStore) {
    runtime = await startRuntime({}, { store });
    const session = await runtime.sessions.create();
    const run = await runtime.runs.create(session.id, { flow: 'ask', input: { question: 'what is RxJS?' } });
    await terminalOf(runtime, session.id, run.id);
    return { run, session };
  }

  it('goes to an unshared store only when it changed: events of a step leave the run row alone', async () => {
    const store = new WatchedStore(false);
    const { run, session } = await runAsk(store);
    const written = store.writtenFor(run.id);
    // Every event of the run was written, and only the create and the status changes carried the record.
    expect(written.flatMap((w) => w.events)).toEqual([
      'run.started',
      'step',
      'tool.started',
      'tool.progress',
      'tool.completed',
      'step',
      'session.updated',
      'message',
      'run.completed',
    ]);
    expect(written.filter((w) => w.run !== null)).toEqual([
      { events: [], run: 'queued' },
      { events: ['run.started'], run: 'running' },
      { events: ['run.completed'], run: 'completed' },
    ]);
    const stored = await store.getRun(session.id, run.id);
    expect(stored).toMatchObject({ status: 'completed', result: { answer: expect.any(String) } });
  });

  it('goes with every write to a shared store, where a batch carrying an ended run is skipped', async () => {
    const store = new WatchedStore(true);
    const { run } = await runAsk(store);
    const written = store.writtenFor(run.id);
    expect(written.length).toBeGreaterThan(3);
    expect(written.every((w) => w.run !== null)).toBe(true);
  });

  it('answers a create with the record it stored, without reading it back', async () => {
    const store = new WatchedStore(false);
    runtime = await startRuntime({}, { store });
    const session = await runtime.sessions.create();
    const run = await runtime.runs.create(session.id, {
      flow: 'tick',
      input: { question: 'q', everyMs: 60_000 },
    });
    expect(store.runReads).toBe(0);
    const stored = store.batches
      .flatMap((b) => b.runs ?? [])
      .filter((r) => r.id === run.id)
      .at(-1);
    expect(run).toEqual(stored);
    expect(run.status).toBe('running');
  });
});
