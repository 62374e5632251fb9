import { describe, expect, it } from 'vitest';
import { BuildFailure, buildBatches, readForPatches } from '../../../core/events/build-batches.ts';
import type { Commit } from '../../../core/events/commit.ts';
import type { Session } from '../../../core/sessions/session.ts';
import type { WriteBatch } from '../../../core/store/session-store.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { makeSession } from '../stores/fixtures.ts';

const S = 's1';
const step = { type: 'step' as const, step: 'plan' };
const commit = (fields: Partial<Commit> = {}): Commit => ({ session_id: S, trace_id: 't1', ...fields });
const bump = commit({ patch: (s) => ({ run_count: s.run_count + 1 }) });
const nameAfterSeq = commit({ patch: (s) => ({ name: `after ${s.last_seq}` }) });
const throwing = commit({
  patch: () => {
    throw new Error('no patch for you');
  },
});
const mutating = commit({
  patch: (s) => {
    s.data.a = 'mutated';
    return { name: 'mutated its copy' };
  },
});
const dataIsA = commit({ patch: (s) => ({ name: `a is ${String(s.data.a)}` }) });

/** What one commit's result must match: a batch (partly), or the failure it carries. */
type Expected = Partial<Record<keyof WriteBatch, unknown>> | { fails: unknown };

function describeResult(built: WriteBatch | BuildFailure): WriteBatch | { fails: unknown } {
  return built instanceof BuildFailure ? { fails: built.error } : built;
}

describe('buildBatches', () => {
  it.each<{ name: string; session: Session | null | undefined; changes: Commit[]; expected: Expected[] }>([
    {
      name: 'a plain patch goes into the batch as it is, with no read',
      session: undefined,
      changes: [commit({ patch: { name: 'x' } })],
      expected: [{ session_id: S, patch: { name: 'x' }, events: [] }],
    },
    {
      name: 'a patch function sees the session as read',
      session: makeSession({ id: S, run_count: 4 }),
      changes: [bump],
      expected: [{ patch: { run_count: 5 } }],
    },
    {
      name: 'each patch function sees the batches before it applied',
      session: makeSession({ id: S, run_count: 0 }),
      changes: [bump, commit({ patch: { run_count: 10 } }), bump, bump],
      expected: [
        { patch: { run_count: 1 } },
        { patch: { run_count: 10 } },
        { patch: { run_count: 11 } },
        { patch: { run_count: 12 } },
      ],
    },
    {
      name: 'a batch whose expectation the session does not meet changes nothing the next one sees',
      session: makeSession({ id: S, state: 'active', run_count: 0 }),
      changes: [
        commit({ expect: { state: 'idle' }, patch: { run_count: 10 }, events: [step] }),
        commit({ expect: { state: 'active' }, patch: { run_count: 20 } }),
        bump,
        nameAfterSeq,
      ],
      expected: [
        { expect: { state: 'idle' }, patch: { run_count: 10 } },
        { expect: { state: 'active' }, patch: { run_count: 20 } },
        { patch: { run_count: 21 } },
        { patch: { name: 'after 0' } },
      ],
    },
    {
      name: 'the events of earlier batches count in last_seq, as the store will number them',
      session: makeSession({ id: S, last_seq: 3 }),
      changes: [commit({ events: [step, step] }), nameAfterSeq, commit({ events: [step] }), nameAfterSeq],
      expected: [{}, { patch: { name: 'after 5' } }, {}, { patch: { name: 'after 6' } }],
    },
    {
      name: 'a create in the same write is the session later patch functions see',
      session: null,
      changes: [
        commit({ create: makeSession({ id: S, run_count: 7, last_seq: 99 }), events: [step] }),
        bump,
        nameAfterSeq,
      ],
      expected: [{ create: { run_count: 7 } }, { patch: { run_count: 8 } }, { patch: { name: 'after 1' } }],
    },
    {
      name: 'a patch function on a missing session fails only its own commit',
      session: null,
      changes: [bump, commit({ events: [step] })],
      expected: [{ fails: { code: 'SESSION_NOT_FOUND' } }, { events: [{ type: 'step' }] }],
    },
    {
      name: 'a throwing patch function fails only its own commit; the next sees the session unchanged',
      session: makeSession({ id: S, run_count: 1 }),
      changes: [throwing, bump],
      expected: [{ fails: { message: 'no patch for you' } }, { patch: { run_count: 2 } }],
    },
    {
      name: 'a patch function changing its argument changes only its own copy',
      session: makeSession({ id: S, data: { a: 'stored' } }),
      changes: [mutating, dataIsA],
      expected: [{ patch: { name: 'mutated its copy' } }, { patch: { name: 'a is stored' } }],
    },
    {
      name: 'every string going to the store is made well-formed',
      session: undefined,
      changes: [commit({ patch: { name: 'a\ud800b' }, events: [{ type: 'progress', message: 'c\udc00d' }] })],
      expected: [{ patch: { name: 'a\ufffdb' }, events: [{ message: 'c\ufffdd' }] }],
    },
  ])('$name', ({ session, changes, expected }) => {
    const sessions = new Map<string, Session | null>();
    if (session !== undefined) sessions.set(S, session);
    const built = buildBatches(changes, sessions).map(describeResult);
    expect(built).toHaveLength(expected.length);
    expected.forEach((want, i) => expect(built[i]).toMatchObject(want));
  });

  it('builds the envelopes: one ts for the whole write, the trace id stamped, meta redacted, no seq', () => {
    const built = buildBatches(
      [
        commit({ events: [{ type: 'progress', meta: { api_key: 'k', n: 1 } }] }),
        commit({ session_id: 's2', trace_id: null, events: [{ type: 'run.failed', run_id: 'r1' }] }),
      ],
      new Map(),
    );
    const events = built.flatMap((batch) => (batch instanceof BuildFailure ? [] : (batch.events ?? [])));
    expect(events).toMatchObject([
      {
        session_id: S,
        trace_id: 't1',
        type: 'progress',
        level: 'info',
        meta: { api_key: '[redacted]', n: 1 },
      },
      { session_id: 's2', trace_id: null, type: 'run.failed', level: 'error', run_id: 'r1', meta: {} },
    ]);
    expect(new Set(events.map((e) => e.ts)).size).toBe(1);
    expect(events.every((e) => !('seq' in e))).toBe(true);
  });
});

describe('readForPatches', () => {
  it('reads nothing and answers at once (no promise) when no commit has a patch function', () => {
    const store = new MemoryStore();
    store.getSession = () => Promise.reject(new Error('must not read'));
    expect(readForPatches(store, [commit({ patch: { name: 'x' } }), commit()])).toEqual(new Map());
  });

  it('reads each session a patch function needs once, null when not found', async () => {
    const store = new MemoryStore();
    const read: string[] = [];
    const known = makeSession({ id: S });
    store.getSession = (id) => {
      read.push(id);
      return Promise.resolve(id === S ? known : null);
    };
    const sessions = await readForPatches(store, [
      bump,
      bump,
      commit({ session_id: 's2', patch: () => ({}) }),
    ]);
    expect(read).toEqual([S, 's2']);
    expect(sessions).toEqual(
      new Map([
        [S, known],
        ['s2', null],
      ]),
    );
  });
});
