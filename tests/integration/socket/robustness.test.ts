import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import type { EventDraft } from '../../../core/events/event.ts';
import { TEST_PLUGINS, useGateway } from '../gateway/platform.ts';
import { connectClient, eventually, range, seqsOf, trackedClients } from './socket-client.ts';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('Socket.IO bridge under bad input, floods and vanishing clients', () => {
  const gw = useGateway(
    { PLUGINS: TEST_PLUGINS, DEFAULT_FLOW: 'tick', HISTORY_LIMIT: '100', CONCURRENCY_LIMIT: '10' },
    { socketGraceMs: 0 },
  );
  const runtime = () => gw().platform.runtime;
  const io = () => gw().platform.io!;
  const clients = trackedClients(() => gw().url);
  const client = () => clients.connect();
  const newSession = async () => (await runtime().sessions.create()).id;
  const sessionRooms = () =>
    [...io().of('/').adapter.rooms.keys()].filter((room) => room.startsWith('session:'));
  const released = () =>
    eventually(
      () => runtime().events.subscriberCount() === 0 && sessionRooms().length === 0,
      `channels released (${runtime().events.subscriberCount()} live subscriptions, rooms ${sessionRooms().join(', ')})`,
    );

  afterEach(async () => {
    clients.closeAll();
    await released();
  });

  it('answers every bad payload with a precise error ack, and other rooms keep streaming', async () => {
    // A witness in another room, fed by a run for the whole test.
    const watched = await newSession();
    const witness = await client();
    await witness.subscribe(watched);
    const run = await runtime().runs.create(watched, {
      flow: 'tick',
      input: { question: 'q', ticks: 100_000, everyMs: 2 },
    });
    await witness.until((event) => event.type === 'step');

    const id = await newSession();
    const c = await client();
    const invalid = (message: string, field?: string) => ({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message, ...(field ? { field } : {}) },
    });
    const cases: Array<[string, unknown[], unknown]> = [
      ['subscribe', [{}], invalid('invalid subscribe payload: session_id is required', 'session_id')],
      [
        'subscribe',
        [{ session_id: 'not-a-uuid' }],
        invalid('invalid subscribe payload: session_id must match format "uuid"', 'session_id'),
      ],
      [
        'subscribe',
        [{ session_id: id, after_seq: -1 }],
        invalid('invalid subscribe payload: after_seq must be >= 0', 'after_seq'),
      ],
      [
        'subscribe',
        [{ session_id: id, after_seq: 1.5 }],
        invalid('invalid subscribe payload: after_seq must be integer', 'after_seq'),
      ],
      [
        'subscribe',
        [{ session_id: id, after_seq: '3' }],
        invalid('invalid subscribe payload: after_seq must be integer', 'after_seq'),
      ],
      [
        'subscribe',
        [{ session_id: id, room: 'session:x' }],
        invalid('invalid subscribe payload: room is not allowed', 'room'),
      ],
      [
        'subscribe',
        ['session:x'],
        invalid('invalid subscribe payload: must be an object like { session_id, after_seq? }'),
      ],
      [
        'subscribe',
        [null],
        invalid('invalid subscribe payload: must be an object like { session_id, after_seq? }'),
      ],
      [
        'subscribe',
        [[id]],
        invalid('invalid subscribe payload: must be an object like { session_id, after_seq? }'),
      ],
      [
        'subscribe',
        [],
        invalid('invalid subscribe payload: must be an object like { session_id, after_seq? }'),
      ],
      [
        'unsubscribe',
        [{ session_id: 42 }],
        invalid('invalid unsubscribe payload: session_id must be string', 'session_id'),
      ],
      ['unsubscribe', [7], invalid('invalid unsubscribe payload: must be an object like { session_id }')],
      [
        'cancel',
        [{ session_id: id, run_id: 'x' }],
        invalid('invalid cancel payload: run_id must match format "uuid"', 'run_id'),
      ],
      [
        'cancel',
        [{ session_id: id, reason: 'because' }],
        invalid('invalid cancel payload: reason is not allowed', 'reason'),
      ],
      [
        'subscribe',
        [{ session_id: UNKNOWN }],
        {
          ok: false,
          error: { code: 'SESSION_NOT_FOUND', message: `session ${UNKNOWN} not found`, field: 'session_id' },
        },
      ],
      [
        'cancel',
        [{ session_id: UNKNOWN }],
        {
          ok: false,
          error: { code: 'SESSION_NOT_FOUND', message: `session ${UNKNOWN} not found`, field: 'session_id' },
        },
      ],
    ];
    const seenBefore = witness.events.length;
    for (const [command, args, expected] of cases) {
      expect(await c.raw(command, ...args), `${command} ${JSON.stringify(args)}`).toEqual(expected);
    }
    // No ack callback, or junk where it goes: nothing to answer, nothing breaks.
    const bare = c.socket as unknown as Socket;
    bare.emit('subscribe', { session_id: 'nope' });
    bare.emit('subscribe');
    bare.emit('cancel', { session_id: UNKNOWN });
    bare.emit('unsubscribe', { session_id: id }, 'not a function');
    bare.emit('no_such_command', { session_id: id });
    expect(await c.subscribe(id)).toEqual({ ok: true, last_seq: 1, recovered: true });
    expect(c.socket.connected).toBe(true);

    // The witness kept receiving throughout, gap-free.
    await witness.until((event) => witness.events.indexOf(event) >= seenBefore + 5);
    await runtime().runs.cancel(watched, run.id);
    const end = await witness.until((event) => event.type === 'run.cancelled');
    expect(seqsOf(witness.events)).toEqual(range(1, end.seq));
  });

  it('200 rapid subscribe/unsubscribe pairs leave no live subscription, and the session streams fine after', async () => {
    const id = await newSession();
    const run = await runtime().runs.create(id, {
      flow: 'tick',
      input: { question: 'q', ticks: 100_000, everyMs: 1 },
    });
    const [one, two] = [await client(), await client()];
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i += 1) {
      const c = i % 2 === 0 ? one : two;
      acks.push(c.subscribe(id, 0), c.unsubscribe(id));
    }
    const answers = await Promise.all(acks);
    expect(answers.every((answer) => (answer as { ok: boolean }).ok)).toBe(true);
    expect(runtime().events.subscriberCount()).toBe(0);
    expect(sessionRooms()).toEqual([]);

    // Everything still works: a fresh subscribe streams gap-free to the end.
    const after = await client();
    const ack = await after.subscribe(id);
    expect(ack.ok).toBe(true);
    await after.until((event) => event.type === 'step' && after.events.length > 20);
    await runtime().runs.cancel(id, run.id);
    const end = await after.until((event) => event.type === 'run.cancelled');
    expect(seqsOf(after.events)).toEqual(range(1, end.seq));
    expect(runtime().events.subscriberCount()).toBe(1);
  });

  it('clients that vanish mid-replay of a large history: no crash, subscriptions released', async () => {
    const id = await newSession();
    const drafts: EventDraft[] = Array.from({ length: 500 }, (_, n) => ({
      type: 'progress',
      step: 'bulk',
      message: `bulk event ${n}`,
      meta: { n, pad: 'x'.repeat(200) },
    }));
    for (let batch = 0; batch < 10; batch += 1) {
      await runtime().log.commit({ session_id: id, trace_id: null, events: drafts });
    }
    const last = 1 + 10 * drafts.length;
    const vanishing = await Promise.all(Array.from({ length: 10 }, () => connectClient(gw().url)));
    vanishing.forEach((c, i) => {
      void c.subscribe(id, i * 100).catch(() => undefined);
      // Some go at once, some a little into their replay.
      if (i % 2 === 0) c.close();
      else setTimeout(() => c.close(), i);
    });
    await eventually(() => io().of('/').sockets.size === 0, 'the server saw every client go');
    await released();
    // Replays that were still reading when their client left end without joining anything.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runtime().events.subscriberCount()).toBe(0);
    expect(sessionRooms()).toEqual([]);

    const survivor = await client();
    expect(await survivor.subscribe(id)).toEqual({ ok: true, last_seq: last, recovered: true });
    await survivor.until((event) => event.seq === last);
    expect(seqsOf(survivor.events)).toEqual(range(1, last));
  });

  it('50 connect / subscribe / disconnect cycles: no growth in live subscriptions, sockets or rooms', async () => {
    const [a, b] = [await newSession(), await newSession()];
    const run = await runtime().runs.create(a, {
      flow: 'tick',
      input: { question: 'q', ticks: 100_000, everyMs: 2 },
    });
    for (let i = 0; i < 50; i += 1) {
      const c = await connectClient(gw().url);
      await c.subscribe(a, 0);
      await c.subscribe(b);
      expect(runtime().events.subscriberCount()).toBe(2);
      c.close();
      await released();
    }
    expect(io().of('/').sockets.size).toBe(0);
    await runtime().runs.cancel(a, run.id);
  });
});

describe('Socket.IO bridge: stored events after a replay that waits on the store', () => {
  it('events committed while a store read is slow reach every member once, in order', async () => {
    // Checked on the default store in subscribe.test.ts; here the store read is held open on purpose.
    const { GatedStore } = await import('./gated-store.ts');
    const store = new GatedStore();
    const { startGateway } = await import('../gateway/platform.ts');
    const gateway = await startGateway({ HISTORY_LIMIT: '10' }, { store, socketGraceMs: 0 });
    const c = await connectClient(gateway.url);
    try {
      const runtime = gateway.platform.runtime;
      const id = (await runtime.sessions.create()).id;
      const note = (n: number) => runtime.sessions.recordProgress(id, { step: 'note', message: `note ${n}` });
      for (let n = 0; n < 30; n += 1) await note(n);

      const held = store.holdListEvents();
      const subscribed = c.subscribe(id, 0);
      await held.reached;
      // Appended while the replay waits for the store: published to the hub, queued behind the replay.
      for (let n = 30; n < 40; n += 1) await note(n);
      held.release();
      expect(await subscribed).toEqual({ ok: true, last_seq: 31, recovered: true });
      await c.until((event: SessionEvent) => event.seq === 41);
      expect(seqsOf(c.events)).toEqual(range(1, 41));

      // A member whose after_seq the store has but the room has not been sent yet (the channel's own
      // read of the store is slow): its subscribe waits for the room to catch up, then joins.
      const other = (await runtime.sessions.create()).id;
      const noteOther = (n: number) =>
        runtime.sessions.recordProgress(other, { step: 'note', message: `o${n}` });
      for (let n = 0; n < 5; n += 1) await noteOther(n);
      runtime.events.drop(other); // no hot window: as for a session written before a restart
      const slowLive = store.holdListEvents();
      const first = await connectClient(gateway.url);
      const late = await connectClient(gateway.url);
      try {
        const firstAck = first.subscribe(other, 0);
        await slowLive.reached;
        expect(await firstAck).toEqual({ ok: true, last_seq: 6, recovered: true });
        for (let n = 5; n < 9; n += 1) await noteOther(n);
        const lateAck = late.subscribe(other, 10);
        await new Promise((resolve) => setTimeout(resolve, 50));
        slowLive.release();
        expect(await lateAck).toEqual({ ok: true, last_seq: 10, recovered: true });
        await noteOther(9);
        await first.until((event) => event.seq === 11);
        await late.until((event) => event.seq === 11);
        expect(seqsOf(first.events)).toEqual(range(1, 11));
        expect(seqsOf(late.events)).toEqual([11]);
      } finally {
        first.close();
        late.close();
      }

      // A store that does not answer: a clear ack, nothing thrown.
      store.failing = true;
      expect(await c.subscribe(id, 0)).toEqual({
        ok: false,
        error: { code: 'STORE_UNAVAILABLE', message: 'the session store does not answer; try again later' },
      });
      expect(await c.socket.timeout(10_000).emitWithAck('cancel', { session_id: id })).toEqual({
        ok: false,
        error: { code: 'STORE_UNAVAILABLE', message: 'the session store does not answer; try again later' },
      });
      store.failing = false;
      expect(await c.unsubscribe(id)).toEqual({ ok: true });
      expect(runtime.events.subscriberCount()).toBe(0);
    } finally {
      c.close();
      await gateway.close();
    }
  });
});

describe('Socket.IO bridge at shutdown', () => {
  it('platform.close() disconnects subscribed clients and releases their channels, with an SSE stream open too', async () => {
    const { startGateway } = await import('../gateway/platform.ts');
    // The default grace period: shutdown must not wait it out.
    const gateway = await startGateway({});
    const runtime = gateway.platform.runtime;
    const id = (await runtime.sessions.create()).id;
    const c = await connectClient(gateway.url);
    expect((await c.subscribe(id)).ok).toBe(true);
    const sse = await gateway.sse(`/v1/sessions/${id}/events/stream`);
    const disconnected = new Promise<string>((resolve) => c.socket.once('disconnect', resolve));
    const started = Date.now();
    await gateway.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await disconnected).toBe('transport close');
    await sse.finished();
    expect(runtime.events.subscriberCount()).toBe(0);
    c.close();
  });
});
