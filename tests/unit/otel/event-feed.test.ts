import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime, SessionEvent } from '../../../core/index.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

describe('EventHub.all$ (the feed the metrics read)', () => {
  it('carries the live events of every session, each session in seq order, with no replay', async () => {
    runtime = await startRuntime();
    const before = await runtime.sessions.create();
    const seen: SessionEvent[] = [];
    const subscription = runtime.events.all$().subscribe((event) => seen.push(event));
    const a = await runtime.sessions.create();
    const b = await runtime.sessions.create();
    const run = await runtime.runs.create(a.id, { input: { question: 'q' }, flow: 'ask' });
    await terminalOf(runtime, a.id, run.id);
    subscription.unsubscribe();
    await runtime.sessions.create();

    expect(seen.some((event) => event.session_id === before.id)).toBe(false);
    expect(new Set(seen.map((event) => event.session_id))).toEqual(new Set([a.id, b.id]));
    const ofA = seen.filter((event) => event.session_id === a.id);
    expect(ofA.map((event) => event.seq)).toEqual(ofA.map((_, i) => i + 1));
    expect(ofA.at(-1)?.type).toBe('run.completed');
    expect(await runtime.store.listEvents(a.id, { after: 0, limit: 100 })).toEqual(ofA);
  });

  it('does not count as a session subscriber', async () => {
    runtime = await startRuntime();
    const subscription = runtime.events.all$().subscribe();
    expect(runtime.events.subscriberCount()).toBe(0);
    subscription.unsubscribe();
  });
});
