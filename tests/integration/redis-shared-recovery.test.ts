import { afterEach, describe, expect, it } from 'vitest';
import { TERMINAL_EVENT_TYPES, type Runtime } from '../../core/index.ts';
import { RedisStore } from '../../stores/redis/redis-store.ts';
import { eventWhere, startRuntime } from '../fixtures/runtime.ts';
import { useTestPrefix } from '../fixtures/redis-prefix.ts';

/** The shared Redis of the tests (tests/setup/redis.ts); this file writes only under its own prefix. */
const { url: REDIS_URL, prefix } = useTestPrefix();

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.shutdown();
});

async function start(): Promise<Runtime> {
  const runtime = await startRuntime({}, { store: new RedisStore({ url: REDIS_URL, prefix }) });
  runtimes.push(runtime);
  return runtime;
}

describe('start-up recovery on a shared store (Redis)', () => {
  it('a second process starting on the same Redis leaves the running run of the first alone', async () => {
    const first = await start();
    const session = await first.sessions.create({ user_id: 'ann' });
    const run = await first.runs.create(session.id, {
      input: { question: 'slow', delayMs: 60_000 },
      flow: 'ask',
    });
    await eventWhere(first, session.id, (e) => e.run_id === run.id && e.type === 'tool.started');

    // Runtime.start has finished its recovery (or skipped it) when it resolves.
    const second = await start();
    expect(second.store.shared).toBe(true);
    expect(await second.store.getRun(session.id, run.id)).toMatchObject({ status: 'running', error: null });
    const events = await second.store.listEvents(session.id, { after: 0, limit: 100 });
    expect(events.map((e) => e.type)).not.toContain('run.failed');
    expect(first.runs.isLive(session.id, run.id)).toBe(true);

    // The first process still owns it: its cancel ends the run, with one terminal event.
    expect(await first.runs.cancel(session.id, run.id)).toMatchObject({ status: 'cancelled' });
    const after = await second.store.listEvents(session.id, { after: 0, limit: 100 });
    const terminal = after.filter((e) => (TERMINAL_EVENT_TYPES as readonly string[]).includes(e.type));
    expect(terminal.map((e) => e.type)).toEqual(['run.cancelled']);
  });
});
