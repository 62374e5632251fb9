import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import {
  defineFlow,
  isTributaryError,
  type FlowEmission,
  type Run,
  type Runtime,
  type SessionEvent,
  type WriteBatch,
} from '../../../core/index.ts';
import { MemoryStore, SqliteStore } from '../../../stores/index.ts';
import { fakePlugins, seenSignals } from '../../fixtures/fake-plugins.ts';
import { eventWhere, firstEvents, startRuntime, terminalOf } from '../../fixtures/runtime.ts';
import { isoAt, makeEvent, makeRun, makeSession } from '../stores/fixtures.ts';

let runtime: Runtime;
afterEach(async () => {
  await runtime?.shutdown();
});

const question = (q: string, extra: Record<string, unknown> = {}) => ({ input: { question: q, ...extra } });
const typesOf = (events: readonly SessionEvent[], runId: string) =>
  events.filter((e) => e.run_id === runId).map((e) => (e.type === 'step' ? `step:${e.step}` : e.type));

async function allEvents(sessionId: string): Promise<SessionEvent[]> {
  return runtime.store.listEvents(sessionId, { after: 0, limit: 1000 });
}

/**
 * A `gated` flow whose run finishes only when the test opens the gate its question names (or it is
 * cancelled), so which runs hold a slot is decided by the test, not by timers racing a loaded machine.
 */
function gatedFlow() {
  const gates = new Map<string, { opened: Promise<void>; open: () => void }>();
  const gate = (key: string) => {
    let found = gates.get(key);
    if (!found) {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      found = { opened, open };
      gates.set(key, found);
    }
    return found;
  };
  const flow = defineFlow<{ question: string }>({
    name: 'gated',
    version: '1.0.0',
    description: 'Answers once the test opens the gate named by the question',
    input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
    async *execute(input, ctx): AsyncGenerator<FlowEmission> {
      await new Promise<void>((resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true });
        void gate(input.question).opened.then(resolve);
      });
      yield { type: 'result', result: { answer: input.question } };
    },
  });
  return { flow, open: (key: string) => gate(key).open() };
}
const gated = (q: string) => ({ input: { question: q }, flow: 'gated' });

describe('Runtime.start after a crash', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-recovery-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fails every run the dead process left queued or running as interrupted, with its event', async () => {
    // The file as a killed process leaves it: one run running, one queued behind it, neither finished.
    const path = join(dir, 'tributary.db');
    const running = makeRun('', { flow: 'ask', status: 'running', started_at: isoAt(1) });
    const queued = makeRun('', { flow: 'ask', status: 'queued', created_at: isoAt(2) });
    const session = makeSession({ active_run_id: running.id, run_count: 2 });
    const crashed = SqliteStore.open({ path });
    await crashed.write({
      session_id: session.id,
      create: session,
      runs: [running, queued].map((run) => ({ ...run, session_id: session.id })),
      events: [
        makeEvent(session.id, { type: 'session.created', step: null }),
        makeEvent(session.id, { type: 'run.started', step: null, run_id: running.id }),
        makeEvent(session.id, { type: 'run.queued', step: null, run_id: queued.id }),
      ],
    });
    await crashed.close();

    runtime = await startRuntime({}, { store: SqliteStore.open({ path }) });
    for (const run of [running, queued]) {
      expect(await runtime.runs.get(session.id, run.id)).toMatchObject({
        status: 'failed',
        error: { code: 'RUN_INTERRUPTED', reason: 'interrupted' },
      });
    }
    const events = await firstEvents(runtime, session.id, 5);
    const failures = events.filter((e) => e.type === 'run.failed');
    expect(failures.map((e) => e.run_id).sort()).toEqual([running.id, queued.id].sort());
    expect(failures.map((e) => e.meta.reason)).toEqual(['interrupted', 'interrupted']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await runtime.sessions.get(session.id)).toMatchObject({ active_run_id: null, last_seq: 5 });
  });
});

describe('Runtime: a flow of fake tools end to end', () => {
  it('runs a flow: events in order, gap-free seq, result, messages and data stored', async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create({ user_id: 'ann', agent_id: 'ask' });
    const run = await runtime.runs.create(session.id, question('what is rxjs'));
    expect(run.status).toBe('running');
    const terminal = await terminalOf(runtime, session.id, run.id);
    expect(terminal.type).toBe('run.completed');

    const events = await allEvents(session.id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]?.type).toBe('session.created');
    expect(typesOf(events, run.id)).toEqual([
      'run.started',
      'step:start_lookup',
      'tool.started',
      'tool.progress',
      'tool.completed',
      'step:lookup_done',
      'session.updated',
      'message',
      'run.completed',
    ]);
    const done = await runtime.runs.get(session.id, run.id);
    expect(done).toMatchObject({
      status: 'completed',
      result: { answer: 'answer to what is rxjs' },
      error: null,
    });
    expect(done.duration_ms).toBeGreaterThanOrEqual(0);
    const messages = await runtime.store.listMessages(session.id);
    expect(messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'what is rxjs'],
      ['assistant', 'answer to what is rxjs'],
    ]);
    const after = await runtime.sessions.get(session.id);
    expect(after).toMatchObject({
      run_count: 1,
      active_run_id: null,
      data: { last_answer: 'answer to what is rxjs' },
      last_seq: events.length,
    });
  });

  it('validates run input against the flow schema and names the field; nothing is written', async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create();
    const error = await runtime.runs.create(session.id, { input: { question: 42 } }).catch((e: unknown) => e);
    expect(isTributaryError(error, 'INVALID_ARGUMENT') && error.field).toBe('input.question');
    await expect(
      runtime.runs.create(session.id, { input: { question: 'x' }, flow: 'nope' }),
    ).rejects.toMatchObject({ code: 'FLOW_NOT_FOUND' });
    await expect(runtime.runs.create('missing', question('x'))).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
    expect(await runtime.runs.list(session.id)).toEqual([]);
    expect((await runtime.sessions.get(session.id)).last_seq).toBe(1);
  });

  it('honours the concurrency limit: runs past it emit run.queued with their position and start in order', async () => {
    const { flow, open } = gatedFlow();
    runtime = await startRuntime({ CONCURRENCY_LIMIT: '2' }, { plugins: [...fakePlugins, flow] });
    const sessions = await Promise.all([0, 1, 2, 3].map(() => runtime.sessions.create()));
    const runs: Run[] = [];
    for (const [i, s] of sessions.entries()) runs.push(await runtime.runs.create(s.id, gated(`q${i}`)));
    expect(runs.map((r) => r.status)).toEqual(['running', 'running', 'queued', 'queued']);
    const queued = await Promise.all(
      [2, 3].map((i) => eventWhere(runtime, sessions[i]!.id, (e) => e.type === 'run.queued')),
    );
    expect(queued.map((e) => e.meta)).toEqual([
      { position: 1, reason: 'concurrency_limit' },
      { position: 2, reason: 'concurrency_limit' },
    ]);
    const statusOf = async (i: number) => (await runtime.runs.get(sessions[i]!.id, runs[i]!.id)).status;
    const startOf = (i: number) => eventWhere(runtime, sessions[i]!.id, (e) => e.type === 'run.started');

    // A finished run frees its slot for the first in line only; the second waits for the next slot.
    open('q1');
    await terminalOf(runtime, sessions[1]!.id, runs[1]!.id);
    await startOf(2);
    expect([await statusOf(0), await statusOf(2), await statusOf(3)]).toEqual([
      'running',
      'running',
      'queued',
    ]);
    open('q0');
    await startOf(3);
    open('q2');
    open('q3');
    const terminals = await Promise.all(runs.map((r, i) => terminalOf(runtime, sessions[i]!.id, r.id)));
    expect(terminals.map((e) => e.type)).toEqual(Array(4).fill('run.completed'));
  });

  it('keeps one active run per session: enqueue waits, reject refuses, interrupt cancels the active one', async () => {
    const { flow, open } = gatedFlow();
    runtime = await startRuntime({}, { plugins: [...fakePlugins, flow] });
    const session = await runtime.sessions.create();
    const first = await runtime.runs.create(session.id, gated('one'));
    const second = await runtime.runs.create(session.id, question('two'));
    expect(second.status).toBe('queued');
    await expect(
      runtime.runs.create(session.id, { ...question('three'), multitask: 'reject' }),
    ).rejects.toMatchObject({
      code: 'SESSION_BUSY',
      kind: 'conflict',
    });
    expect((await runtime.runs.list(session.id)).map((r) => r.id)).toEqual([first.id, second.id]);
    open('one');
    await terminalOf(runtime, session.id, second.id);
    const events = await allEvents(session.id);
    const firstEnd = events.findIndex((e) => e.run_id === first.id && e.type === 'run.completed');
    const secondStart = events.findIndex((e) => e.run_id === second.id && e.type === 'run.started');
    expect(firstEnd).toBeGreaterThan(0);
    expect(secondStart).toBeGreaterThan(firstEnd);

    const slow = await runtime.runs.create(session.id, question('slow', { delayMs: 10_000 }));
    const urgent = await runtime.runs.create(session.id, { ...question('urgent'), multitask: 'interrupt' });
    const [slowEnd, urgentEnd] = await Promise.all([
      terminalOf(runtime, session.id, slow.id),
      terminalOf(runtime, session.id, urgent.id),
    ]);
    expect(slowEnd).toMatchObject({
      type: 'run.cancelled',
      meta: { reason: `interrupted by run ${urgent.id}` },
    });
    expect(urgentEnd.type).toBe('run.completed');
  });

  it('cancel aborts in-flight tool work, frees the slot at once, and run.cancelled is the run’s last event', async () => {
    runtime = await startRuntime({ CONCURRENCY_LIMIT: '1' });
    const a = await runtime.sessions.create();
    const b = await runtime.sessions.create();
    const long = await runtime.runs.create(a.id, question('long', { delayMs: 10_000 }));
    const next = await runtime.runs.create(b.id, question('next'));
    expect(next.status).toBe('queued');
    await eventWhere(runtime, a.id, (e) => e.type === 'tool.progress');
    const signal = seenSignals.at(-1)!;
    const cancelled = await runtime.runs.cancel(a.id, long.id, 'user pressed stop');
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      error: { code: 'RUN_CANCELLED', reason: 'user pressed stop' },
    });
    expect(signal.aborted).toBe(true);
    expect((await terminalOf(runtime, b.id, next.id)).type).toBe('run.completed');
    // Whatever the aborted tool still writes is queued behind a later run of the same session.
    const after = await runtime.runs.create(a.id, question('after'));
    await terminalOf(runtime, a.id, after.id);
    const events = (await allEvents(a.id)).filter((e) => e.run_id !== after.id);
    expect(events.at(-1)).toMatchObject({ type: 'run.cancelled', run_id: long.id });
    expect(
      events.filter(
        (e) => e.type.startsWith('run.') && ['run.completed', 'run.failed', 'run.cancelled'].includes(e.type),
      ),
    ).toHaveLength(1);
    await expect(runtime.runs.cancel(a.id, long.id)).rejects.toMatchObject({ code: 'RUN_FINISHED' });
  });

  it('a failing tool fails the run with a clear message, after tool.failed', async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create();
    const run = await runtime.runs.create(session.id, question('bad', { fail: true }));
    const terminal = await terminalOf(runtime, session.id, run.id);
    expect(terminal).toMatchObject({ type: 'run.failed', level: 'error' });
    expect(terminal.message).toContain('lookup backend refused "bad"');
    expect(typesOf(await allEvents(session.id), run.id).slice(-2)).toEqual(['tool.failed', 'run.failed']);
    expect(await runtime.runs.get(session.id, run.id)).toMatchObject({
      status: 'failed',
      error: { code: 'TOOL_FAILED' },
    });
  });

  it('pauses for approval: approve goes on, reject fails, cancel while waiting cancels', async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create();
    const ask = async () => {
      const run = await runtime.runs.create(session.id, question('post it', { publish: true }));
      const requested = await eventWhere(
        runtime,
        session.id,
        (e) => e.run_id === run.id && e.type === 'approval.requested',
      );
      return { run, approvalId: String(requested.meta.approval_id) };
    };
    const one = await ask();
    await expect(
      runtime.runs.resolveApproval(session.id, one.run.id, 'not-an-approval', { approve: true }),
    ).rejects.toMatchObject({
      code: 'APPROVAL_NOT_FOUND',
    });
    await runtime.runs.resolveApproval(session.id, one.run.id, one.approvalId, { approve: true });
    expect((await terminalOf(runtime, session.id, one.run.id)).type).toBe('run.completed');

    const two = await ask();
    await runtime.runs.resolveApproval(session.id, two.run.id, two.approvalId, { approve: false });
    expect(await terminalOf(runtime, session.id, two.run.id)).toMatchObject({
      type: 'run.failed',
      meta: { code: 'APPROVAL_REJECTED' },
    });

    const three = await ask();
    await runtime.runs.cancel(session.id, three.run.id);
    expect((await terminalOf(runtime, session.id, three.run.id)).type).toBe('run.cancelled');
    expect(runtime.approvals.pending(three.run.id)).toEqual([]);
  });

  it('a store that throws mid-run fails that run only; other sessions go on', async () => {
    // writeMany: the log writes a session's queued commits in one call (and write goes through it).
    class FlakyStore extends MemoryStore {
      override async writeMany(batches: readonly WriteBatch[]) {
        const doomed = (batch: WriteBatch) =>
          batch.events?.some((e) => e.type === 'message' && e.message.includes('doomed'));
        if (batches.some(doomed)) throw new Error('disk full');
        return super.writeMany(batches);
      }
    }
    runtime = await startRuntime({}, { store: new FlakyStore() });
    const bad = await runtime.sessions.create();
    const good = await runtime.sessions.create();
    const badRun = await runtime.runs.create(bad.id, question('doomed'));
    const goodRun = await runtime.runs.create(good.id, question('fine'));
    const [badEnd, goodEnd] = await Promise.all([
      terminalOf(runtime, bad.id, badRun.id),
      terminalOf(runtime, good.id, goodRun.id),
    ]);
    expect(badEnd).toMatchObject({ type: 'run.failed', meta: { code: 'STORE_UNAVAILABLE' } });
    expect(goodEnd.type).toBe('run.completed');
    const events = await allEvents(bad.id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.some((e) => e.type === 'message')).toBe(false);
  });

  it('deleting a session cancels its run and removes everything it owned', async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create();
    await runtime.runs.create(session.id, question('long', { delayMs: 10_000 }));
    await runtime.sessions.remove(session.id);
    await expect(runtime.sessions.get(session.id)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect(await runtime.store.listEvents(session.id, { after: 0, limit: 10 })).toEqual([]);
    expect(runtime.runs.running).toBe(0);
  });

  it('streams a running flow live to subscribers and stops streams of an expired session', async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create();
    const run = await runtime.runs.create(session.id, {
      input: { question: 'tick', ticks: 3, everyMs: 1 },
      flow: 'tick',
    });
    const steps = await firstValueFrom(
      runtime.events.events$(session.id).pipe(
        filter((e) => e.type === 'step'),
        take(3),
        toArray(),
      ),
    );
    expect(steps.map((e) => e.step)).toEqual(['tick_0', 'tick_1', 'tick_2']);
    await terminalOf(runtime, session.id, run.id);

    const { last_seq } = await runtime.sessions.get(session.id);
    const seen: string[] = [];
    let completed = false;
    runtime.events.events$(session.id, last_seq).subscribe({
      next: (e) => seen.push(e.type),
      complete: () => (completed = true),
    });
    expect(runtime.events.subscriberCount(session.id)).toBe(1);
    expect(await runtime.sweeper.sweep({ force: true })).toMatchObject({ expired: 1 });
    // The reader got the expiry, then its stream ended and let go of the session.
    expect(seen).toEqual(['session.expired']);
    expect(completed).toBe(true);
    expect(runtime.events.subscriberCount(session.id)).toBe(0);
  });

  it('shutdown stops accepting, cancels what is running and stores every event before the store closes', async () => {
    // The store's close waits on a gate, so the test reads what shutdown left in the open store.
    let closeCalled!: () => void;
    const closing = new Promise<void>((resolve) => (closeCalled = resolve));
    let releaseClose!: () => void;
    const released = new Promise<void>((resolve) => (releaseClose = resolve));
    class GatedCloseStore extends MemoryStore {
      override async close(): Promise<void> {
        closeCalled();
        await released;
        return super.close();
      }
    }
    const store = new GatedCloseStore();
    runtime = await startRuntime({}, { store });
    const session = await runtime.sessions.create();
    const run = await runtime.runs.create(session.id, question('long', { delayMs: 10_000 }));
    const stopping = runtime.shutdown();
    try {
      await closing;
      expect(await store.getRun(session.id, run.id)).toMatchObject({
        status: 'cancelled',
        error: { code: 'RUN_CANCELLED' },
      });
      const events = await store.listEvents(session.id, { after: 0, limit: 1000 });
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.at(-1)).toMatchObject({ type: 'run.cancelled', run_id: run.id });
      await expect(runtime.runs.create(session.id, question('late'))).rejects.toMatchObject({
        code: 'SHUTTING_DOWN',
      });
    } finally {
      releaseClose();
    }
    await stopping;
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
