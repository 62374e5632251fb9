import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/events/event.ts';
import { InProcessEventBus } from '../../../core/events/in-process-event-bus.ts';
import { makeEvent } from '../stores/fixtures.ts';

const event = (sessionId: string, seq: number): SessionEvent => ({ ...makeEvent(sessionId), seq });

describe('InProcessEventBus', () => {
  it('delivers each session its own events in order, from subscription on, and every event to all$', () => {
    const bus = new InProcessEventBus();
    bus.publish([event('a', 1)]);
    const seen: string[] = [];
    const everything: string[] = [];
    bus.events$('a').subscribe((e) => seen.push(`a${e.seq}`));
    bus.events$('b').subscribe((e) => seen.push(`b${e.seq}`));
    bus.all$().subscribe((e) => everything.push(`${e.session_id}${e.seq}`));
    bus.publish([event('a', 2), event('b', 1), event('a', 3)]);
    expect(seen).toEqual(['a2', 'b1', 'a3']);
    expect(everything).toEqual(['a2', 'b1', 'a3']);
  });

  it('counts listeners per session and frees a session with its last one', () => {
    const bus = new InProcessEventBus();
    const first = bus.events$('a').subscribe();
    const second = bus.events$('a').subscribe();
    bus.events$('b').subscribe();
    expect([bus.subscriberCount('a'), bus.subscriberCount()]).toEqual([2, 3]);
    first.unsubscribe();
    second.unsubscribe();
    expect([bus.subscriberCount('a'), bus.subscriberCount()]).toEqual([0, 1]);
    // A new listener after the last one left gets a fresh stream that still receives events.
    const late: number[] = [];
    bus.events$('a').subscribe((e) => late.push(e.seq));
    bus.publish([event('a', 7)]);
    expect(late).toEqual([7]);
  });

  it('close completes the session stream and leaves other sessions live', () => {
    const bus = new InProcessEventBus();
    let completed = false;
    const other: number[] = [];
    bus.events$('a').subscribe({ complete: () => (completed = true) });
    bus.events$('b').subscribe((e) => other.push(e.seq));
    bus.close('a');
    bus.publish([event('b', 1)]);
    expect(completed).toBe(true);
    expect(other).toEqual([1]);
  });
});
