import { afterEach, describe, expect, it } from 'vitest';
import {
  defineFlow,
  isTributaryError,
  type FlowEmission,
  type Runtime,
  type SessionEvent,
} from '../../../core/index.ts';
import { fakePlugins } from '../../fixtures/fake-plugins.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';

/** A `tick` run whose first tick is an hour away: live and silent until cancelled. */
const QUIET = { input: { question: 'wait', everyMs: 3_600_000 }, flow: 'tick' } as const;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

async function runEvents(rt: Runtime, sessionId: string, runId: string): Promise<SessionEvent[]> {
  const events = await rt.store.listEvents(sessionId, { after: 0, limit: 1000 });
  return events.filter((event) => event.run_id === runId);
}

/** The settled outcome of a promise, so a test can look at a rejection without an unhandled one. */
function settle(promise: Promise<unknown>): Promise<{ ok: unknown } | { error: unknown }> {
  return promise.then(
    (ok) => ({ ok }),
    (error: unknown) => ({ error }),
  );
}

/** Both writers that may name a run: a progress event and a checkpoint. */
const writers = {
  progress: (rt: Runtime, sessionId: string, runId: string) =>
    rt.sessions.recordProgress(sessionId, { run_id: runId, step: 'late', message: 'after the end?' }),
  checkpoint: (rt: Runtime, sessionId: string, runId: string) =>
    rt.checkpoints.save(sessionId, { late: true }, { run_id: runId }),
};

describe.each(Object.entries(writers))('a %s naming a run', (_name, write) => {
  it('is taken while the run is live, and lands before its terminal event', async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create();
    const run = await runtime.runs.create(session.id, QUIET);
    await write(runtime, session.id, run.id);
    await runtime.runs.cancel(session.id, run.id);
    expect((await runEvents(runtime, session.id, run.id)).map((event) => event.type)).toEqual([
      'run.started',
      write === writers.progress ? 'progress' : 'checkpoint.saved',
      'run.cancelled',
    ]);
  });

  it("is RUN_NOT_FOUND (naming run_id) for an unknown run or another session's, RUN_FINISHED once it ended", async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create();
    const other = await runtime.sessions.create();
    const foreign = await runtime.runs.create(other.id, QUIET);
    for (const runId of [UNKNOWN, foreign.id]) {
      await expect(write(runtime, session.id, runId)).rejects.toMatchObject({
        code: 'RUN_NOT_FOUND',
        kind: 'not_found',
        field: 'run_id',
        message: `run ${runId} not found in session ${session.id}`,
      });
    }
    const run = await runtime.runs.create(session.id, { input: { question: 'q' }, flow: 'ask' });
    await terminalOf(runtime, session.id, run.id);
    await expect(write(runtime, session.id, run.id)).rejects.toMatchObject({
      code: 'RUN_FINISHED',
      kind: 'conflict',
      field: 'run_id',
      details: { status: 'completed' },
    });
    const events = await runEvents(runtime, session.id, run.id);
    expect(events.at(-1)?.type).toBe('run.completed');
    // Nothing of the refused writes was stored.
    const all = await runtime.store.listEvents(session.id, { after: 0, limit: 1000 });
    expect(all.filter((event) => ['progress', 'checkpoint.saved'].includes(event.type))).toEqual([]);
    expect(await runtime.store.listCheckpoints(session.id)).toEqual([]);
  });

  it("racing the run's end at every point is either stored before the terminal event or RUN_FINISHED", async () => {
    runtime = await startRuntime();
    const outcomes = { stored: 0, refused: 0 };
    // One starts 0, 1, 2, … microtasks after the other, either way round: whatever the write awaits
    // (session read, store read), some offset ends the run inside that await.
    for (let offset = -30; offset <= 30; offset++) {
      const session = await runtime.sessions.create();
      const run = await runtime.runs.create(session.id, QUIET);
      const ticks = async () => {
        for (let i = 0; i < Math.abs(offset); i++) await Promise.resolve();
      };
      const startWrite = () => settle(write(runtime!, session.id, run.id));
      const startCancel = () => runtime!.runs.cancel(session.id, run.id);
      let outcome: Awaited<ReturnType<typeof startWrite>>;
      if (offset >= 0) {
        const written = startWrite();
        await ticks();
        [outcome] = await Promise.all([written, startCancel()]);
      } else {
        const cancelled = startCancel();
        await ticks();
        [outcome] = await Promise.all([startWrite(), cancelled]);
      }
      const events = await runEvents(runtime, session.id, run.id);
      expect(events.at(-1)?.type, `offset ${offset}`).toBe('run.cancelled');
      expect(events.filter((event) => event.type === 'run.cancelled')).toHaveLength(1);
      if ('error' in outcome) {
        expect(isTributaryError(outcome.error, 'RUN_FINISHED'), String(outcome.error)).toBe(true);
        outcomes.refused++;
      } else {
        outcomes.stored++;
      }
    }
    // Both sides of the race were met, so the sweep crossed the moment the run ended.
    expect(outcomes.stored).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});

it('a flow checkpoints its own run while it runs', async () => {
  const saving = defineFlow<{ question: string }>({
    name: 'saving',
    version: '1.0.0',
    description: 'Saves a checkpoint mid-run',
    input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
    async *execute(_input, ctx): AsyncGenerator<FlowEmission> {
      yield { type: 'step', step: 'work' };
      await ctx.checkpoint({ done: 1 }, 'mid');
      yield { type: 'result', result: { ok: true } };
    },
  });
  runtime = await startRuntime({}, { plugins: [...fakePlugins, saving] });
  const session = await runtime.sessions.create();
  const run = await runtime.runs.create(session.id, { input: { question: 'q' }, flow: 'saving' });
  expect((await terminalOf(runtime, session.id, run.id)).type).toBe('run.completed');
  expect((await runEvents(runtime, session.id, run.id)).map((event) => event.type)).toEqual([
    'run.started',
    'step',
    'checkpoint.saved',
    'run.completed',
  ]);
});
