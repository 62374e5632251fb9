import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import { TEST_PLUGINS, useGateway } from '../gateway/platform.ts';
import { eventually, range, seqsOf, trackedClients } from './socket-client.ts';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('Socket.IO bridge: subscribe, rooms, cancel', () => {
  // A small hot window, so replays read the store page by page before the window takes over.
  const gw = useGateway(
    { PLUGINS: TEST_PLUGINS, DEFAULT_FLOW: 'tick', HISTORY_LIMIT: '50', CONCURRENCY_LIMIT: '10' },
    { socketGraceMs: 0 },
  );
  const runtime = () => gw().platform.runtime;
  const clients = trackedClients(() => gw().url);
  const client = () => clients.connect();
  const newSession = async () => (await runtime().sessions.create()).id;
  const startTick = async (sessionId: string, ticks: number, everyMs: number) =>
    runtime().runs.create(sessionId, { flow: 'tick', input: { question: 'tick', ticks, everyMs } });
  const sessionRooms = () =>
    [...gw().platform.io!.of('/').adapter.rooms.keys()].filter((room) => room.startsWith('session:'));
  const ended = (runId: string) => (event: SessionEvent) =>
    event.run_id === runId && ['run.completed', 'run.failed', 'run.cancelled'].includes(event.type);

  afterEach(async () => {
    clients.closeAll();
    await eventually(() => runtime().events.subscriberCount() === 0, 'every channel released');
  });

  it('replays stored events after after_seq, then live ones, with no gap and no duplicate while the run appends', async () => {
    const id = await newSession();
    const run = await startTick(id, 100_000, 1);
    // Let history build up well past the hot window, then subscribe in its middle while ticks keep coming.
    await eventually(() => (runtime().events.recent(id).at(-1)?.seq ?? 0) >= 150, 'history of 150 events');
    const lastBefore = runtime().events.recent(id).at(-1)!.seq;
    const after = Math.floor(lastBefore / 2);
    const [middle, whole] = [await client(), await client()];
    const [ackMiddle, ackWhole] = await Promise.all([middle.subscribe(id, after), whole.subscribe(id)]);
    expect(ackMiddle).toEqual({ ok: true, last_seq: expect.any(Number), recovered: true });
    expect(ackWhole).toEqual({ ok: true, last_seq: expect.any(Number), recovered: true });
    if (!ackMiddle.ok || !ackWhole.ok) throw new Error('unreachable');
    expect(ackMiddle.last_seq).toBeGreaterThanOrEqual(lastBefore);

    // Some events come through the room after the replay; then the run ends.
    const live = Math.max(ackMiddle.last_seq, ackWhole.last_seq) + 30;
    await middle.until((event) => event.seq >= live);
    await whole.until((event) => event.seq >= live);
    await runtime().runs.cancel(id, run.id);
    const end = await middle.until(ended(run.id));
    await whole.until(ended(run.id));
    expect(end.type).toBe('run.cancelled');
    expect(seqsOf(middle.of(id))).toEqual(range(after + 1, end.seq));
    expect(seqsOf(whole.of(id))).toEqual(range(1, end.seq));
    // What the sockets got is exactly what the store holds.
    const stored = await runtime().store.listEvents(id, { after: 0, limit: 1000 });
    expect(stored.at(-1)).toEqual(end);
    expect(whole.of(id)).toEqual(stored);
    expect(middle.of(id)).toEqual(stored.filter((event) => event.seq > after));
  });

  it('acks last_seq of a quiet session and delivers nothing twice; after_seq past the end is INVALID_CURSOR', async () => {
    const id = await newSession();
    await runtime().sessions.recordProgress(id, { step: 'one', message: 'first' });
    const c = await client();
    expect(await c.subscribe(id, 2)).toEqual({ ok: true, last_seq: 2, recovered: true });
    expect(await c.subscribe(id, 3)).toEqual({
      ok: false,
      error: {
        code: 'INVALID_CURSOR',
        message: `after_seq 3 is past the last event of session ${id} (seq 2)`,
        field: 'after_seq',
      },
    });
    await runtime().sessions.recordProgress(id, { step: 'two', message: 'second' });
    await c.until((event) => event.seq === 3);
    expect(seqsOf(c.of(id))).toEqual([3]);
  });

  it('keeps rooms apart: each client sees only the sessions it subscribed to, each in order', async () => {
    const [a, b] = [await newSession(), await newSession()];
    const [ca, cb, both] = [await client(), await client(), await client()];
    expect((await ca.subscribe(a)).ok).toBe(true);
    expect((await cb.subscribe(b)).ok).toBe(true);
    expect((await both.subscribe(a)).ok).toBe(true);
    expect((await both.subscribe(b)).ok).toBe(true);
    const [runA, runB] = [await startTick(a, 40, 2), await startTick(b, 25, 3)];
    const endA = await ca.until(ended(runA.id));
    const endB = await cb.until(ended(runB.id));
    await both.until(ended(runA.id));
    await both.until(ended(runB.id));

    expect(ca.events.every((event) => event.session_id === a)).toBe(true);
    expect(cb.events.every((event) => event.session_id === b)).toBe(true);
    expect(seqsOf(ca.events)).toEqual(range(1, endA.seq));
    expect(seqsOf(cb.events)).toEqual(range(1, endB.seq));
    expect(seqsOf(both.of(a))).toEqual(range(1, endA.seq));
    expect(seqsOf(both.of(b))).toEqual(range(1, endB.seq));
    // One room per session on this node (`session:<id>@<node>`).
    expect(
      sessionRooms()
        .map((room) => room.slice('session:'.length, room.lastIndexOf('@')))
        .sort(),
    ).toEqual([a, b].sort());
    // One core subscription per session, however many sockets are in its room.
    expect(runtime().events.subscriberCount(a)).toBe(1);
    expect(runtime().events.subscriberCount(b)).toBe(1);
  });

  it('unsubscribe leaves the room: no more events, and the core subscription is released', async () => {
    const id = await newSession();
    const c = await client();
    await c.subscribe(id);
    expect(runtime().events.subscriberCount(id)).toBe(1);
    expect(await c.unsubscribe(id)).toEqual({ ok: true });
    expect(runtime().events.subscriberCount(id)).toBe(0);
    expect(sessionRooms()).toEqual([]);
    // Unsubscribing again, or from a session never joined, is fine.
    expect(await c.unsubscribe(id)).toEqual({ ok: true });
    expect(await c.unsubscribe(UNKNOWN)).toEqual({ ok: true });
    const received = c.events.length;
    await runtime().sessions.recordProgress(id, { step: 'later', message: 'after unsubscribe' });
    const probe = await client();
    await probe.subscribe(id);
    expect(c.events.length).toBe(received);
  });

  it('cancels the active run over the socket: the run ends with run.cancelled, and errors are precise', async () => {
    const id = await newSession();
    const c = await client();
    await c.subscribe(id);
    const run = await startTick(id, 100_000, 5);
    await c.until((event) => event.type === 'step' && event.run_id === run.id);
    const ack = await c.socket.timeout(10_000).emitWithAck('cancel', { session_id: id });
    expect(ack).toEqual({ ok: true, run_id: run.id, status: 'cancelled' });
    const end = await c.until(ended(run.id));
    expect(end.type).toBe('run.cancelled');
    expect(
      c
        .of(id)
        .filter((event) => event.run_id === run.id)
        .at(-1),
    ).toEqual(end);

    expect(await c.socket.timeout(10_000).emitWithAck('cancel', { session_id: id })).toEqual({
      ok: false,
      error: {
        code: 'RUN_NOT_FOUND',
        message: `session ${id} has no queued or running run`,
        field: 'run_id',
      },
    });
    expect(await c.socket.timeout(10_000).emitWithAck('cancel', { session_id: id, run_id: run.id })).toEqual({
      ok: false,
      error: { code: 'RUN_FINISHED', message: `run ${run.id} already cancelled`, field: 'run_id' },
    });
    expect(await c.socket.timeout(10_000).emitWithAck('cancel', { session_id: id, run_id: UNKNOWN })).toEqual(
      {
        ok: false,
        error: {
          code: 'RUN_NOT_FOUND',
          message: `run ${UNKNOWN} not found in session ${id}`,
          field: 'run_id',
        },
      },
    );
  });

  it('cancels a queued run named by id, then the default cancels the running one', async () => {
    const id = await newSession();
    const c = await client();
    await c.subscribe(id);
    const first = await startTick(id, 100_000, 5);
    const second = await startTick(id, 3, 1);
    expect((await runtime().runs.get(id, second.id)).status).toBe('queued');
    expect(
      await c.socket.timeout(10_000).emitWithAck('cancel', { session_id: id, run_id: second.id }),
    ).toEqual({
      ok: true,
      run_id: second.id,
      status: 'cancelled',
    });
    expect(await c.socket.timeout(10_000).emitWithAck('cancel', { session_id: id })).toEqual({
      ok: true,
      run_id: first.id,
      status: 'cancelled',
    });
    await c.until(ended(first.id));
    await c.until(ended(second.id));
  });
});
