import { describe, expect, it } from 'vitest';
import { TEST_PLUGINS, useGateway } from '../gateway/platform.ts';
import { connectClient, eventually, range, seqsOf } from './socket-client.ts';

describe('Socket.IO bridge: connection state recovery', () => {
  // The default grace period outlives the recovery window; a shorter one still covers this test.
  const gw = useGateway({ PLUGINS: TEST_PLUGINS, DEFAULT_FLOW: 'tick' }, { socketGraceMs: 10_000 });
  const runtime = () => gw().platform.runtime;

  it('a client whose transport drops gets recovered === true and misses no event', async () => {
    const id = (await runtime().sessions.create()).id;
    const c = await connectClient(gw().url, { reconnection: true });
    try {
      expect((await c.subscribe(id)).ok).toBe(true);
      const run = await runtime().runs.create(id, {
        flow: 'tick',
        input: { question: 'q', ticks: 150, everyMs: 3 },
      });
      await c.until((event) => event.type === 'step' && event.seq >= 10);
      const dropped = new Promise<string>((resolve) => c.socket.once('disconnect', resolve));
      const reconnected = dropped.then(
        () => new Promise<void>((resolve) => c.socket.once('connect', resolve)),
      );
      c.socket.io.engine.close();
      // The client closed its own transport ('forced close'); the server sees a dropped one, recoverable.
      expect(await dropped).toBe('forced close');
      const seenWhileDown = c.events.length;
      const lastSeen = c.events.at(-1)!.seq;
      await reconnected;
      // The run went on while the client was away: those events came with the recovery.
      expect(runtime().events.recent(id).at(-1)!.seq).toBeGreaterThan(lastSeen);
      expect(c.socket.recovered).toBe(true);
      // The room's channel waited for its member: still one core subscription.
      expect(runtime().events.subscriberCount(id)).toBe(1);

      const end = await c.until((event) => event.run_id === run.id && event.type === 'run.completed');
      expect(c.events.length).toBeGreaterThan(seenWhileDown);
      expect(seqsOf(c.events)).toEqual(range(1, end.seq));
      expect(c.events).toEqual(await runtime().store.listEvents(id, { after: 0, limit: 1000 }));
    } finally {
      c.close();
    }
    // Gone for good: the channel stays for its grace period, then closes with the platform.
    await eventually(() => gw().platform.io!.of('/').sockets.size === 0, 'the server saw the client go');
    expect(runtime().events.subscriberCount(id)).toBe(1);
  });
});
