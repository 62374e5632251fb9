import type { SessionEvent } from '../../core/events/event.ts';

let seq = 0;

/** A session event for the CLI's tests: session `s1`, run `r1`, tool `writer`; seq counts up. */
export function testEvent(type: SessionEvent['type'], fields: Partial<SessionEvent> = {}): SessionEvent {
  seq += 1;
  return {
    id: `e${seq}`,
    seq,
    ts: '2026-12-04T10:00:00.000Z',
    session_id: 's1',
    run_id: 'r1',
    type,
    step: null,
    tool: 'writer',
    level: 'info',
    message: type,
    meta: {},
    trace_id: null,
    ...fields,
  };
}

/** A `message.delta` of message `messageId` carrying `text`. */
export const testDelta = (text: string, messageId = 'm1'): SessionEvent =>
  testEvent('message.delta', { message: text, meta: { message_id: messageId, text, role: 'assistant' } });
