import type { SessionEvent } from './types.ts';

let seq = 0;

/** A session event for the unit tests: seq counts up, `at` is seconds after a fixed start. */
export function testEvent(
  at: number,
  type: SessionEvent['type'],
  fields: Partial<Omit<SessionEvent, 'seq' | 'ts' | 'type'>> = {},
): SessionEvent {
  seq += 1;
  return {
    id: `e${seq}`,
    seq,
    ts: new Date(Date.UTC(2026, 10, 21, 10, 0, 0) + at * 1000).toISOString(),
    session_id: 's1',
    run_id: 'r1',
    type,
    step: null,
    tool: null,
    level: 'info',
    message: type,
    meta: {},
    trace_id: null,
    ...fields,
  };
}
