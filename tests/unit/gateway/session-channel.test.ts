import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import type { SessionEvent } from '../../../core/index.ts';
import { EventHub } from '../../../core/events/event-hub.ts';
import { EventLog } from '../../../core/events/event-log.ts';
import { SessionChannel, type ChannelMember } from '../../../gateway/socket/session-channel.ts';
import { GatedStore } from '../../integration/socket/gated-store.ts';
import { makeSession } from '../stores/fixtures.ts';

const progress = (n: number) => ({ type: 'progress' as const, message: `event ${n}` });
/** Lets every promise chain started so far settle (setImmediate is not faked here). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A member that records what it was sent alone and when it joined. */
function member() {
  const sent: number[] = [];
  const m: ChannelMember & { sent: number[]; joined: boolean } = {
    sent,
    joined: false,
    gone: false,
    send: (event) => void sent.push(event.seq),
    join: () => void (m.joined = true),
  };
  return m;
}

let channel: SessionChannel | undefined;
afterEach(() => {
  channel?.close();
  channel = undefined;
  vi.useRealTimers();
});

/**
 * A channel whose room stream is held in its store replay: the session stores seqs 1..3 (written
 * through another hub, so this node's hub has no window of them), the channel opens at 3 and its
 * stream reads the store after 3, held. What `log` commits now is stored and published to the
 * channel's hub, but reaches the room only after that held read: the room lags until `hold.release()`.
 */
async function laggingRoom() {
  // Only the timers a polling subscribe would need: setImmediate stays real for the log's writes.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  const store = new GatedStore();
  const elsewhere = new EventLog(store, new EventHub(store, 100));
  const session = makeSession();
  await elsewhere.commit({ session_id: session.id, trace_id: null, create: session, events: [progress(1)] });
  await elsewhere.commit({ session_id: session.id, trace_id: null, events: [progress(2), progress(3)] });
  const hub = new EventHub(store, 100);
  const broadcast: number[] = [];
  const waiting = new Map<number, () => void>();
  /** Resolves once the room has been sent `seq`. */
  const broadcastReached = (seq: number) =>
    new Promise<void>((resolve) => (broadcast.includes(seq) ? resolve() : waiting.set(seq, resolve)));
  channel = new SessionChannel({
    sessionId: session.id,
    events: hub,
    broadcast: (event: SessionEvent) => {
      broadcast.push(event.seq);
      waiting.get(event.seq)?.();
    },
    logger: pino({ level: 'silent' }),
  });
  const hold = store.holdListEvents();
  await channel.open();
  await hold.reached;
  const log = new EventLog(store, hub);
  const append = (...seqs: number[]) =>
    log.commit({ session_id: session.id, trace_id: null, events: seqs.map(progress) });
  return { hold, broadcast, broadcastReached, append };
}

describe('SessionChannel.subscribe', () => {
  it('joins as soon as the broadcast reaches after_seq, without any timer firing', async () => {
    const { hold, broadcast, append } = await laggingRoom();
    await append(4, 5);
    const joining = member();
    // The room is at 3 and can reach 5 only through the held read: the subscribe must wait for it.
    const subscribing = channel!.subscribe(joining, 5);
    hold.release();
    // No fake timer is ever advanced (a polling subscribe would hang here): the broadcast lets it in.
    expect(await subscribing).toBe(5);
    expect(broadcast).toEqual([4, 5]);
    expect(joining).toMatchObject({ joined: true, sent: [] });
  });

  it('fails with STORE_UNAVAILABLE when the room does not reach after_seq within the bound', async () => {
    const { hold, append } = await laggingRoom();
    await append(4, 5);
    const joining = member();
    const subscribing = channel!.subscribe(joining, 5, 2_000);
    await settled();
    const failed = expect(subscribing).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining('room at 3, after_seq 5'),
    });
    await vi.advanceTimersByTimeAsync(2_000);
    await failed;
    expect(joining.joined).toBe(false);
    hold.release();
  });

  it('tells a subscribe waiting for the room SHUTTING_DOWN when the channel closes', async () => {
    const { hold, append } = await laggingRoom();
    await append(4, 5);
    const subscribing = channel!.subscribe(member(), 5);
    await settled();
    channel!.close();
    await expect(subscribing).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    hold.release();
  });

  it('keeps waiting through broadcasts that stop short of after_seq', async () => {
    const { hold, broadcast, broadcastReached, append } = await laggingRoom();
    await append(4);
    // after_seq 5 before 5 is stored: the caller's store check raced a write still on its way.
    const joining = member();
    const subscribing = channel!.subscribe(joining, 5);
    hold.release();
    await broadcastReached(4);
    await append(5);
    expect(await subscribing).toBe(5);
    expect(broadcast).toEqual([4, 5]);
    expect(joining).toMatchObject({ joined: true, sent: [] });
  });
});
