import { afterEach, describe, expect, it } from 'vitest';
import { TributaryError, type Runtime, type SessionEvent } from '../../../core/index.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { HeldQueue } from '../../fixtures/held-queue.ts';
import { startRuntime } from '../../fixtures/runtime.ts';

/** A memory store whose reads fail with STORE_UNAVAILABLE the next `failures` times. */
class FlakyStore extends MemoryStore {
  failures = 0;
  override getSession(id: string) {
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new TributaryError('STORE_UNAVAILABLE', 'store down for a moment'));
    }
    return super.getSession(id);
  }
}

const runtimes: Runtime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.shutdown()));
});

async function cluster(env: Record<string, string> = {}) {
  const queue = new HeldQueue();
  const store = new FlakyStore();
  const runtime = await startRuntime(env, { store, runQueue: queue });
  runtimes.push(runtime);
  await runtime.runs.work();
  const session = await runtime.sessions.create({ user_id: 'ann' });
  const submit = async (input: Record<string, unknown> = { question: 'q' }) => {
    const run = await runtime.runs.create(session.id, { input, flow: 'ask' });
    return queue.jobs.find((job) => job.runId === run.id)!;
  };
  const events = async (runId: string): Promise<SessionEvent[]> =>
    (await store.listEvents(session.id, { after: 0, limit: 1000 })).filter((event) => event.run_id === runId);
  return { runtime, queue, store, session, submit, events, handler: () => queue.handler! };
}

const context = (
  overrides: Partial<{ attempt: number; signal: AbortSignal; stopping: AbortSignal }> = {},
) => ({
  attempt: 1,
  signal: new AbortController().signal,
  stopping: new AbortController().signal,
  ...overrides,
});

describe('ClusterRuns (core side of the cluster queue)', () => {
  it('stores a created run queued with run.queued, and a worker executes it to one terminal event', async () => {
    const { runtime, session, submit, events, handler } = await cluster();
    const job = await submit();
    expect(await runtime.runs.get(session.id, job.runId)).toMatchObject({ status: 'queued' });
    expect(await handler().execute(job, context())).toBe('ended');
    const types = (await events(job.runId)).map((event) => event.type);
    expect(types[0]).toBe('run.queued');
    expect(types[1]).toBe('run.started');
    expect(types.at(-1)).toBe('run.completed');
    expect(types.filter((type) => type.startsWith('run.'))).toHaveLength(3);
  });

  it('waits for a store that is down for a moment before it starts a run it took', async () => {
    const { store, submit, events, handler } = await cluster();
    const job = await submit();
    store.failures = 3;
    expect(await handler().execute(job, context())).toBe('ended');
    expect((await events(job.runId)).at(-1)?.type).toBe('run.completed');
  });

  it('marks every event of a second execution with meta.run_attempt', async () => {
    const { submit, events, handler } = await cluster();
    const job = await submit();
    await handler().execute(job, context({ attempt: 2 }));
    const after = (await events(job.runId)).slice(1);
    expect(after.length).toBeGreaterThan(2);
    for (const event of after) expect(event.meta).toMatchObject({ run_attempt: 2 });
  });

  it('ends a run cancelled before it started with run.cancelled only', async () => {
    const { submit, events, handler } = await cluster();
    const job = await submit();
    const cancel = new AbortController();
    cancel.abort('cancelled by request');
    await handler().execute(job, context({ signal: cancel.signal }));
    expect((await events(job.runId)).map((event) => event.type)).toEqual(['run.queued', 'run.cancelled']);
  });

  it.each([
    ['retry', 'handed_back', 'run.queued'],
    ['fail', 'ended', 'run.failed'],
  ] as const)(
    'RUN_ON_WORKER_LOSS=%s: a worker shutting down mid-run: %s, then %s',
    async (policy, result, last) => {
      const { runtime, session, submit, events, handler } = await cluster({ RUN_ON_WORKER_LOSS: policy });
      const job = await submit({ question: 'q', delayMs: 60_000 });
      const stopping = new AbortController();
      const executing = handler().execute(job, context({ stopping: stopping.signal }));
      // Stop once the tool is running.
      for (;;) {
        if ((await events(job.runId)).some((event) => event.type === 'tool.started')) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      stopping.abort();
      expect(await executing).toBe(result);
      const final = (await events(job.runId)).at(-1)!;
      expect(final.type).toBe(last);
      const run = await runtime.runs.get(session.id, job.runId);
      if (policy === 'retry') {
        expect(final.meta).toMatchObject({ reason: 'requeued' });
        expect(run).toMatchObject({ status: 'queued', started_at: null });
      } else {
        expect(run).toMatchObject({ status: 'failed', error: { code: 'RUN_INTERRUPTED' } });
      }
    },
  );

  it('ends a run whose worker was lost with one run.failed RUN_INTERRUPTED, however often it is told', async () => {
    const { runtime, session, submit, events, handler } = await cluster();
    const job = await submit();
    await handler().lost(job, 'its worker was lost');
    await handler().lost(job, 'its worker was lost');
    expect((await events(job.runId)).map((event) => event.type)).toEqual(['run.queued', 'run.failed']);
    expect(await runtime.runs.get(session.id, job.runId)).toMatchObject({
      status: 'failed',
      error: { code: 'RUN_INTERRUPTED' },
    });
  });
});
