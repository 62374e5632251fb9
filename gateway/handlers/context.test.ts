import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SESSION_STATES, Session } from '../../core/index.ts';
import type { components } from '../../openapi/schema.d.ts';
import { toSessionResource } from './context.ts';

type SpecSession = components['schemas']['Session'];

describe("the API's Session is core's Session without its trace context", () => {
  it('has the same members, of the same types (tsc fails this file when they drift)', () => {
    expectTypeOf<Omit<Session, 'trace_parent'>>().toEqualTypeOf<SpecSession>();
    expectTypeOf<(typeof SESSION_STATES)[number]>().toEqualTypeOf<components['schemas']['SessionState']>();
  });

  it('toSessionResource leaves out trace_parent and nothing else', () => {
    const session: Session = {
      id: '3f0c7c1e-8d4b-4b7e-9a51-2f6d1c0e9b21',
      user_id: 'ann',
      agent_id: null,
      team_id: null,
      workflow_id: null,
      name: null,
      state: 'active',
      metadata: { a: 1 },
      data: {},
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      last_active_at: '2026-01-01T00:00:00.000Z',
      expires_at: null,
      trace_id: null,
      trace_parent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      last_seq: 1,
      active_run_id: null,
      run_count: 0,
      usage: { tokens_in: 0, tokens_out: 0 },
    };
    const { trace_parent: _internal, ...rest } = session;
    expect(toSessionResource(session)).toEqual(rest);
    expect(toSessionResource(session)).not.toHaveProperty('trace_parent');
  });
});
