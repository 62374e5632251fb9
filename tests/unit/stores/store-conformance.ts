import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../core/errors.ts';
import type { SessionEvent } from '../../../core/events/event.ts';
import type {
  SessionStore,
  SweepCandidate,
  UnnumberedEvent,
  WriteBatch,
} from '../../../core/store/session-store.ts';
import type { Session, SessionFilter, SessionPatch } from '../../../core/sessions/session.ts';
import { newId } from '../../../core/uuid.ts';
import { isoAt, makeCheckpoint, makeEvent, makeMessage, makeRun, makeSession } from './fixtures.ts';

/** How the suite gets stores. Every `open()` must give a new, empty store. */
export interface StoreFactory {
  open(): Promise<SessionStore>;
}

/** How the durability suite gets stores whose data outlives a connection (a file, a server). */
export interface DurableStoreFactory extends StoreFactory {
  /** The store last opened, opened again over the same data (the suite closes it first). */
  reopen(): Promise<SessionStore>;
  /** A second, concurrent connection to the data of the store last opened. */
  openSecond(): Promise<SessionStore>;
}

/** Stores a new session (with its `session.created` event) and returns it as stored. */
async function seed(target: SessionStore, overrides: Partial<Session> = {}): Promise<Session> {
  const session = makeSession(overrides);
  await target.write({
    session_id: session.id,
    create: session,
    events: [makeEvent(session.id, { type: 'session.created', step: null })],
  });
  return { ...session, last_seq: 1 };
}

async function append(target: SessionStore, sessionId: string, count: number): Promise<SessionEvent[]> {
  const events = Array.from({ length: count }, (_, i) => makeEvent(sessionId, { message: `event ${i}` }));
  return target.write({ session_id: sessionId, events });
}

async function eventsOf(target: SessionStore, sessionId: string): Promise<SessionEvent[]> {
  return target.listEvents(sessionId, { after: 0, limit: 10_000 });
}

const seqsOf = (events: readonly SessionEvent[]): number[] => events.map((e) => e.seq);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const ids = (items: readonly { id: string }[]): string[] => items.map((i) => i.id);

/** Opens stores through `factory` and closes every one after each test. */
function trackedStores(factory: StoreFactory) {
  const opened: SessionStore[] = [];
  const track = async (pending: Promise<SessionStore>): Promise<SessionStore> => {
    const s = await pending;
    opened.push(s);
    return s;
  };
  const current = { store: undefined as unknown as SessionStore };
  beforeEach(async () => {
    current.store = await track(factory.open());
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  return { current, track };
}

/**
 * The contract every `SessionStore` must keep, as one vitest suite. A store's test file calls
 * this once with a factory; a store whose data outlives a connection also calls
 * {@link describeDurableStoreConformance}.
 */
export function describeStoreConformance(name: string, factory: StoreFactory): void {
  describe(`${name} conformance`, () => {
    let store: SessionStore;
    const { current } = trackedStores(factory);
    beforeEach(() => {
      store = current.store;
    });

    const seedSession = (overrides: Partial<Session> = {}, target = store): Promise<Session> =>
      seed(target, overrides);
    const appendEvents = (sessionId: string, count: number, target = store): Promise<SessionEvent[]> =>
      append(target, sessionId, count);
    const allEvents = (sessionId: string, target = store): Promise<SessionEvent[]> =>
      eventsOf(target, sessionId);

    async function expectCode(pending: Promise<unknown>, code: ErrorCode): Promise<void> {
      await expect(pending).rejects.toMatchObject({ name: 'TributaryError', code });
    }

    /** Runs a mutation of a returned record; a frozen record refuses it with a TypeError (strict mode). */
    const mutateOrRefuse = (mutate: () => unknown): void => {
      try {
        mutate();
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
      }
    };

    it('names its kind', () => {
      expect(store.kind).toMatch(/\S/);
    });

    describe('sessions', () => {
      it('creates a session and reads it back as written', async () => {
        const session = makeSession({ user_id: 'ann', name: 'first', metadata: { nested: { a: [1, 2] } } });
        const events = await store.write({
          session_id: session.id,
          create: session,
          events: [makeEvent(session.id, { type: 'session.created' })],
        });
        expect(seqsOf(events)).toEqual([1]);
        expect(await store.getSession(session.id)).toEqual({ ...session, last_seq: 1 });
      });

      it('returns null for an unknown session', async () => {
        expect(await store.getSession(newId())).toBeNull();
      });

      it('keeps last_seq its own: a create starts from 0 whatever it says', async () => {
        const session = makeSession({ last_seq: 42 });
        await store.write({ session_id: session.id, create: session });
        expect((await store.getSession(session.id))?.last_seq).toBe(0);
      });

      it('refuses to create a session that exists, and changes nothing', async () => {
        const session = await seedSession({ name: 'original' });
        const again = { ...session, name: 'impostor' };
        await expectCode(store.write({ session_id: session.id, create: again }), 'INVALID_ARGUMENT');
        expect(await store.getSession(session.id)).toEqual(session);
      });

      it.each<[string, (id: string) => WriteBatch]>([
        ['patch', (id) => ({ session_id: id, patch: { name: 'x' } })],
        ['events', (id) => ({ session_id: id, events: [makeEvent(id)] })],
        ['runs', (id) => ({ session_id: id, runs: [makeRun(id)] })],
        ['messages', (id) => ({ session_id: id, messages: [makeMessage(id)] })],
        ['checkpoints', (id) => ({ session_id: id, checkpoints: [makeCheckpoint(id)] })],
      ])('refuses %s for a missing session with SESSION_NOT_FOUND', async (_, batch) => {
        const id = newId();
        await expectCode(store.write(batch(id)), 'SESSION_NOT_FOUND');
        expect(await store.getSession(id)).toBeNull();
      });

      it('refuses records that belong to another session', async () => {
        const session = await seedSession();
        const other = newId();
        await expectCode(
          store.write({ session_id: session.id, events: [makeEvent(other)] }),
          'INVALID_ARGUMENT',
        );
        await expectCode(store.write({ session_id: session.id, runs: [makeRun(other)] }), 'INVALID_ARGUMENT');
        const stranger = makeSession();
        await expectCode(store.write({ session_id: other, create: stranger }), 'INVALID_ARGUMENT');
        expect(await store.getSession(session.id)).toEqual(session);
      });

      it('patches only the fields given', async () => {
        const session = await seedSession({ user_id: 'ann', name: 'before', metadata: { a: 1 } });
        const patch: SessionPatch = {
          name: 'after',
          state: 'idle',
          metadata: { b: { c: 2 } },
          usage: { tokens_in: 3, tokens_out: 4 },
          user_id: undefined,
          updated_at: isoAt(60),
        };
        await store.write({ session_id: session.id, patch });
        expect(await store.getSession(session.id)).toEqual({
          ...session,
          name: 'after',
          state: 'idle',
          metadata: { b: { c: 2 } },
          usage: { tokens_in: 3, tokens_out: 4 },
          updated_at: isoAt(60),
        });
      });

      it('ignores fields a patch may not change (id, created_at, last_seq)', async () => {
        const session = await seedSession();
        const sneaky = { id: newId(), created_at: isoAt(999), last_seq: 99, name: 'ok' } as SessionPatch;
        await store.write({ session_id: session.id, patch: sneaky });
        expect(await store.getSession(session.id)).toEqual({ ...session, name: 'ok' });
      });
    });

    describe('listing and counting', () => {
      let seeded: Session[];

      beforeEach(async () => {
        const specs: Partial<Session>[] = [
          { user_id: 'ann', agent_id: 'quiz', team_id: 't1', workflow_id: 'w1', state: 'active' },
          { user_id: 'ann', agent_id: 'grade', team_id: 't1', workflow_id: 'w2', state: 'idle' },
          { user_id: 'bob', agent_id: 'quiz', team_id: 't2', workflow_id: 'w1', state: 'archived' },
          { user_id: 'bob', agent_id: 'quiz', team_id: null, workflow_id: null, state: 'expired' },
          { user_id: null, agent_id: 'grade', team_id: 't2', workflow_id: 'w2', state: 'idle' },
          { user_id: 'ann', agent_id: 'quiz', team_id: 't2', workflow_id: 'w1', state: 'active' },
        ];
        seeded = [];
        for (const [i, spec] of specs.entries())
          seeded.push(await seedSession({ ...spec, created_at: isoAt(i) }));
      });

      const newestFirst = (sessions: Session[]): string[] =>
        ids([...sessions].sort((a, b) => (a.created_at < b.created_at ? 1 : -1)));

      it('lists newest first', async () => {
        const page = await store.listSessions({ limit: 100 });
        expect(ids(page.items)).toEqual(newestFirst(seeded));
        expect(page.items[0]).toEqual(seeded.at(-1));
        expect(page.next_cursor).toBeNull();
      });

      it.each<[string, SessionFilter, (s: Session) => boolean]>([
        ['user_id', { user_id: 'ann' }, (s) => s.user_id === 'ann'],
        ['agent_id', { agent_id: 'grade' }, (s) => s.agent_id === 'grade'],
        ['team_id', { team_id: 't2' }, (s) => s.team_id === 't2'],
        ['workflow_id', { workflow_id: 'w1' }, (s) => s.workflow_id === 'w1'],
        ['one state', { state: 'idle' }, (s) => s.state === 'idle'],
        [
          'several states',
          { state: ['archived', 'expired'] },
          (s) => ['archived', 'expired'].includes(s.state),
        ],
        [
          'several filters at once',
          { user_id: 'ann', agent_id: 'quiz', state: ['active'] },
          (s) => s.user_id === 'ann' && s.agent_id === 'quiz' && s.state === 'active',
        ],
        ['no match', { user_id: 'nobody' }, () => false],
        ['an empty state list (matches nothing)', { state: [] }, () => false],
      ])('filters by %s, and counts the same', async (_, filter, predicate) => {
        const expected = newestFirst(seeded.filter(predicate));
        const page = await store.listSessions({ ...filter, limit: 100 });
        expect(ids(page.items)).toEqual(expected);
        expect(await store.countSessions(filter)).toBe(expected.length);
      });

      it('counts every session with an empty filter', async () => {
        expect(await store.countSessions({})).toBe(seeded.length);
      });

      it('follows sessions that patches move between users and states, and forgets deleted ones', async () => {
        const [annActive, annIdle, bobArchived, bobExpired, nobodyIdle, annLatest] = seeded;
        if (!annActive || !annIdle || !bobArchived || !bobExpired || !nobodyIdle || !annLatest)
          throw new Error('seed missing');
        await store.write({ session_id: annActive.id, patch: { user_id: 'bob', state: 'archived' } });
        await store.write({ session_id: annIdle.id, patch: { user_id: null } });
        await store.deleteSessions([annLatest.id]);

        expect(await store.countSessions({ user_id: 'ann' })).toBe(0);
        expect(await store.countSessions({ user_id: 'bob' })).toBe(3);
        expect(await store.countSessions({ user_id: 'bob', state: 'archived' })).toBe(2);
        expect(await store.countSessions({ state: 'active' })).toBe(0);
        expect(await store.countSessions({ state: ['idle', 'idle'] })).toBe(2);
        expect(ids((await store.listSessions({ user_id: 'bob', limit: 10 })).items)).toEqual(
          ids([bobExpired, bobArchived, annActive]),
        );

        const cutoff = isoAt(10_000);
        const sweep = () => store.sweepCandidates({ idleBefore: cutoff, expireBefore: cutoff, force: false });
        const byId = (...sessions: Session[]) => ids(sessions).sort();
        expect(ids((await sweep()).toExpire)).toEqual(byId(annIdle, nobodyIdle));
        await store.write({ session_id: nobodyIdle.id, patch: { state: 'active' } });
        expect(ids((await sweep()).toIdle)).toEqual([nobodyIdle.id]);
        expect(ids((await sweep()).toExpire)).toEqual([annIdle.id]);
      });
    });

    describe('cursor paging', () => {
      /** Follows next_cursor to the end, checking page sizes on the way. */
      async function pageThrough(filter: SessionFilter, limit: number): Promise<string[]> {
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < 100; pages++) {
          const page = await store.listSessions({ ...filter, limit, cursor });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          seen.push(...ids(page.items));
          if (page.next_cursor === null) return seen;
          expect(page.items).toHaveLength(limit);
          cursor = page.next_cursor;
        }
        throw new Error('paging did not end');
      }

      it('walks every session once, in order, across pages (also through equal created_at)', async () => {
        // Groups of three share a timestamp, so the id tiebreak is what keeps pages apart.
        for (let i = 0; i < 23; i++) await seedSession({ created_at: isoAt(Math.floor(i / 3)) });
        const all = ids((await store.listSessions({ limit: 1000 })).items);
        expect(all).toHaveLength(23);
        for (const limit of [1, 4, 5, 22, 23, 24]) expect(await pageThrough({}, limit)).toEqual(all);
      });

      it('gives no cursor on a last page that is exactly full', async () => {
        for (let i = 0; i < 10; i++) await seedSession({ created_at: isoAt(i) });
        const first = await store.listSessions({ limit: 5 });
        expect(first.next_cursor).not.toBeNull();
        const second = await store.listSessions({ limit: 5, cursor: first.next_cursor });
        expect(second.items).toHaveLength(5);
        expect(second.next_cursor).toBeNull();
      });

      it('pages within a filter', async () => {
        for (let i = 0; i < 12; i++) {
          await seedSession({ user_id: i % 2 === 0 ? 'ann' : 'bob', created_at: isoAt(i % 4) });
        }
        const all = ids((await store.listSessions({ user_id: 'ann', limit: 1000 })).items);
        expect(all).toHaveLength(6);
        expect(await pageThrough({ user_id: 'ann' }, 4)).toEqual(all);
      });

      it.each([
        ['not base64url', 'not a cursor!'],
        ['not JSON', Buffer.from('{oops').toString('base64url')],
        ['an object', Buffer.from('{"created_at":"x","id":"y"}').toString('base64url')],
        ['numbers', Buffer.from('[1,2]').toString('base64url')],
        ['too long a tuple', Buffer.from('["a","b","c"]').toString('base64url')],
      ])('rejects a cursor that is %s with INVALID_CURSOR', async (_, cursor) => {
        await expect(store.listSessions({ limit: 10, cursor })).rejects.toMatchObject({
          code: 'INVALID_CURSOR',
          field: 'cursor',
        });
      });
    });

    describe('events and seq', () => {
      it('numbers from 1, by exactly 1, across writes', async () => {
        const session = await seedSession();
        const second = await appendEvents(session.id, 3);
        const third = await appendEvents(session.id, 2);
        expect(seqsOf(second)).toEqual([2, 3, 4]);
        expect(seqsOf(third)).toEqual([5, 6]);
        expect(seqsOf(await allEvents(session.id))).toEqual(range(1, 6));
        expect((await store.getSession(session.id))?.last_seq).toBe(6);
      });

      it('numbers the batches of one call in order, a session created early in the call included', async () => {
        const existing = await seedSession();
        const fresh = makeSession();
        const result = await store.writeMany([
          { session_id: fresh.id, create: fresh, events: [makeEvent(fresh.id), makeEvent(fresh.id)] },
          { session_id: fresh.id, events: [makeEvent(fresh.id), makeEvent(fresh.id), makeEvent(fresh.id)] },
          { session_id: existing.id, events: [makeEvent(existing.id)] },
          { session_id: existing.id, patch: { name: 'no events' } },
        ]);
        expect(result.map(seqsOf)).toEqual([[1, 2], [3, 4, 5], [2], []]);
        expect((await store.getSession(fresh.id))?.last_seq).toBe(5);
      });

      it('keeps seq and last_seq right when one call mixes event-only and patching batches of a session', async () => {
        const session = await seedSession();
        const id = session.id;
        const events = (n: number) => Array.from({ length: n }, () => makeEvent(id));
        const result = await store.writeMany([
          { session_id: id, events: events(2) },
          { session_id: id, patch: { name: 'first' }, events: events(1) },
          { session_id: id, events: events(3) },
          { session_id: id, patch: { run_count: 7 } },
          { session_id: id, events: events(1) },
        ]);
        expect(result.map(seqsOf)).toEqual([[2, 3], [4], [5, 6, 7], [], [8]]);
        expect(await store.getSession(id)).toEqual({ ...session, name: 'first', run_count: 7, last_seq: 8 });
        expect(seqsOf(await allEvents(id))).toEqual(range(1, 8));
        expect(seqsOf(await appendEvents(id, 1))).toEqual([9]);
      });

      it('stores each event as given, with its seq', async () => {
        const session = await seedSession();
        const draft: UnnumberedEvent = makeEvent(session.id, {
          run_id: newId(),
          type: 'tool.failed',
          step: 'tool_error',
          tool: 'rag_search',
          level: 'error',
          message: 'rag_search failed',
          meta: { status: 502, detail: { retry: [1, 2] } },
          trace_id: '0af7651916cd43dd8448eb211c80319c',
        });
        const [written] = await store.write({ session_id: session.id, events: [draft] });
        expect(written).toEqual({ ...draft, seq: 2 });
        expect((await allEvents(session.id))[1]).toEqual(written);
      });

      it('lists events after a seq, at most limit, ascending', async () => {
        const session = await seedSession();
        await appendEvents(session.id, 5);
        expect(seqsOf(await store.listEvents(session.id, { after: 2, limit: 3 }))).toEqual([3, 4, 5]);
        expect(seqsOf(await store.listEvents(session.id, { after: 4, limit: 100 }))).toEqual([5, 6]);
        expect(await store.listEvents(session.id, { after: 6, limit: 100 })).toEqual([]);
        expect(await store.listEvents(newId(), { after: 0, limit: 100 })).toEqual([]);
      });

      it('reports event bounds', async () => {
        expect(await store.eventBounds(newId())).toEqual({ first_seq: 0, last_seq: 0 });
        const quiet = makeSession();
        await store.write({ session_id: quiet.id, create: quiet });
        expect(await store.eventBounds(quiet.id)).toEqual({ first_seq: 0, last_seq: 0 });
        const session = await seedSession();
        await appendEvents(session.id, 2);
        expect(await store.eventBounds(session.id)).toEqual({ first_seq: 1, last_seq: 3 });
      });

      it('gives 200 concurrent writers seqs 1..200 exactly', async () => {
        const session = makeSession();
        await store.write({ session_id: session.id, create: session });
        const drafts = Array.from({ length: 200 }, (_, i) => makeEvent(session.id, { message: `w${i}` }));
        const results = await Promise.all(
          drafts.map((e) => store.write({ session_id: session.id, events: [e] })),
        );
        expect(
          results
            .flat()
            .map((e) => e.seq)
            .sort((a, b) => a - b),
        ).toEqual(range(1, 200));
        const stored = await allEvents(session.id);
        expect(seqsOf(stored)).toEqual(range(1, 200));
        expect(new Set(ids(stored))).toEqual(new Set(ids(drafts)));
        expect((await store.getSession(session.id))?.last_seq).toBe(200);
      });
    });

    describe('atomic batches', () => {
      it('writes nothing of a call when a later batch fails', async () => {
        const existing = await seedSession();
        const fresh = makeSession();
        const missing = newId();
        await expectCode(
          store.writeMany([
            { session_id: fresh.id, create: fresh, events: [makeEvent(fresh.id)] },
            { session_id: existing.id, patch: { name: 'changed' }, events: [makeEvent(existing.id)] },
            { session_id: missing, messages: [makeMessage(missing)] },
          ]),
          'SESSION_NOT_FOUND',
        );
        await expect(store.getSession(fresh.id)).resolves.toBeNull();
        expect(await store.getSession(existing.id)).toEqual(existing);
        expect(seqsOf(await allEvents(existing.id))).toEqual([1]);
      });

      it('writes nothing when events target a missing session next to a valid create', async () => {
        const fresh = makeSession();
        const missing = newId();
        await expectCode(
          store.writeMany([
            { session_id: fresh.id, create: fresh, events: [makeEvent(fresh.id)] },
            { session_id: missing, events: [makeEvent(missing)] },
          ]),
          'SESSION_NOT_FOUND',
        );
        expect(await store.getSession(fresh.id)).toBeNull();
        expect(await store.listEvents(fresh.id, { after: 0, limit: 10 })).toEqual([]);
        expect(await store.countSessions({})).toBe(0);
      });

      it('writes nothing when a duplicate create follows a valid batch', async () => {
        const session = await seedSession();
        await expectCode(
          store.writeMany([
            { session_id: session.id, events: [makeEvent(session.id)], runs: [makeRun(session.id)] },
            { session_id: session.id, create: makeSession({ id: session.id }) },
          ]),
          'INVALID_ARGUMENT',
        );
        expect(await store.getSession(session.id)).toEqual(session);
        expect(await store.listRuns(session.id)).toEqual([]);
        expect(seqsOf(await allEvents(session.id))).toEqual([1]);
      });

      it('writes no part of a single batch that holds a bad record', async () => {
        const session = await seedSession();
        await expectCode(
          store.write({
            session_id: session.id,
            patch: { name: 'changed' },
            runs: [makeRun(session.id)],
            messages: [makeMessage(session.id)],
            events: [makeEvent(session.id)],
            checkpoints: [makeCheckpoint(newId())],
          }),
          'INVALID_ARGUMENT',
        );
        expect(await store.getSession(session.id)).toEqual(session);
        expect(await store.listRuns(session.id)).toEqual([]);
        expect(await store.listMessages(session.id)).toEqual([]);
        expect(seqsOf(await allEvents(session.id))).toEqual([1]);
      });
    });

    describe('conditional writes (expect)', () => {
      /** Everything a skipped batch must leave as it was. */
      const snapshot = async (id: string) => ({
        session: await store.getSession(id),
        runs: await store.listRuns(id),
        messages: await store.listMessages(id),
        checkpoints: await store.listCheckpoints(id),
        events: await allEvents(id),
      });
      const idleBatch = (session: Session, expect: WriteBatch['expect']): WriteBatch => ({
        session_id: session.id,
        expect,
        patch: { state: 'idle', name: 'idled' },
        runs: [makeRun(session.id)],
        messages: [makeMessage(session.id)],
        checkpoints: [makeCheckpoint(session.id)],
        events: [makeEvent(session.id, { type: 'session.updated' })],
      });

      it('applies a batch whose session is in one of the states it expects', async () => {
        const session = await seedSession({ state: 'active' });
        const [events] = await store.writeMany([idleBatch(session, { state: ['idle', 'active'] })]);
        expect(seqsOf(events ?? [])).toEqual([2]);
      });

      it('applies a batch whose session matches its state and last_active_at', async () => {
        const session = await seedSession({ state: 'active', last_active_at: isoAt(5) });
        const [events] = await store.writeMany([
          idleBatch(session, { state: 'active', last_active_at: isoAt(5) }),
        ]);
        expect(seqsOf(events ?? [])).toEqual([2]);
        expect(await store.getSession(session.id)).toMatchObject({
          state: 'idle',
          name: 'idled',
          last_seq: 2,
        });
        expect(await store.listRuns(session.id)).toHaveLength(1);
      });

      it('skips the whole batch, with no error and no events, when the state or last_active_at differs', async () => {
        const session = await seedSession({ state: 'active', last_active_at: isoAt(5) });
        const before = await snapshot(session.id);
        for (const expect_ of [
          { state: 'idle' as const },
          { last_active_at: isoAt(6) },
          { state: 'active' as const, last_active_at: isoAt(4) },
          { state: ['idle', 'archived'] as const },
        ]) {
          expect(await store.write(idleBatch(session, expect_))).toEqual([]);
        }
        expect(await snapshot(session.id)).toEqual(before);
        expect(seqsOf(await appendEvents(session.id, 1))).toEqual([2]);
      });

      it('skips a batch whose session is gone instead of refusing the call; the other batches are written', async () => {
        const gone = await seedSession();
        const kept = await seedSession();
        await store.deleteSessions([gone.id]);
        const written = await store.writeMany([
          idleBatch(gone, { state: 'active' }),
          { session_id: kept.id, events: [makeEvent(kept.id)] },
        ]);
        expect(written.map(seqsOf)).toEqual([[], [2]]);
        expect(await snapshot(gone.id)).toEqual({
          session: null,
          runs: [],
          messages: [],
          checkpoints: [],
          events: [],
        });
        expect(await store.countSessions({})).toBe(1);
      });

      it('checks each batch against the session as the batches before it in the call leave it', async () => {
        const session = await seedSession({ state: 'active', last_active_at: isoAt(5) });
        const expected = { state: 'active' as const, last_active_at: isoAt(5) };
        // The first wins; the second expects what the first has just changed (two sweepers racing).
        const written = await store.writeMany([idleBatch(session, expected), idleBatch(session, expected)]);
        expect(written.map(seqsOf)).toEqual([[2], []]);
        expect(await store.listRuns(session.id)).toHaveLength(1);
        expect((await store.getSession(session.id))?.last_seq).toBe(2);
      });

      it('creates only while the user has fewer live sessions than live_sessions_below', async () => {
        await seedSession({ user_id: 'ann', state: 'active' });
        await seedSession({ user_id: 'ann', state: 'idle' });
        await seedSession({ user_id: 'ann', state: 'expired' });
        await seedSession({ user_id: 'ann', state: 'archived' });
        await seedSession({ user_id: 'bob', state: 'active' });
        const create = (user_id: string | null, below: number): WriteBatch => {
          const session = makeSession({ user_id });
          return {
            session_id: session.id,
            create: session,
            expect: { live_sessions_below: below },
            events: [makeEvent(session.id, { type: 'session.created' })],
          };
        };
        const refused = create('ann', 2);
        expect(await store.write(refused)).toEqual([]);
        expect(await store.getSession(refused.session_id)).toBeNull();
        expect(await store.listEvents(refused.session_id, { after: 0, limit: 10 })).toEqual([]);
        expect(seqsOf(await store.write(create('ann', 3)))).toEqual([1]);
        // Counted when the store reaches the batch: the first create of the call fills the cap.
        const written = await store.writeMany([create('ann', 4), create('ann', 4), create(null, 1)]);
        expect(written.map(seqsOf)).toEqual([[1], [], [1]]);
        expect(await store.countSessions({ user_id: 'ann', state: ['active', 'idle'] })).toBe(4);
        expect(await store.countSessions({})).toBe(8);
      });

      it("refuses a malformed expectation, or a create with one that is not its session's only batch", async () => {
        const session = await seedSession();
        const fresh = makeSession({ user_id: 'ann' });
        const bad: [WriteBatch['expect'], string][] = [
          [{ state: 'asleep' as Session['state'] }, 'expect.state'],
          [{ state: [] }, 'expect.state'],
          [{ state: ['active', 'asleep' as Session['state']] }, 'expect.state'],
          [{ last_active_at: 5 as unknown as string }, 'expect.last_active_at'],
          [{ live_sessions_below: 1 }, 'expect.live_sessions_below'],
        ];
        for (const [expectation, field] of bad) {
          await expect(
            store.write({ session_id: session.id, expect: expectation, events: [makeEvent(session.id)] }),
          ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
        }
        await expect(
          store.write({
            session_id: fresh.id,
            create: fresh,
            expect: { live_sessions_below: 0 },
            events: [makeEvent(fresh.id)],
          }),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'expect.live_sessions_below' });
        // Skipped, it would return no events, as written without events: it must carry some.
        await expect(
          store.write({ session_id: session.id, expect: { state: 'active' }, patch: { name: 'x' } }),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'events' });
        await expect(
          store.writeMany([
            {
              session_id: fresh.id,
              create: fresh,
              expect: { live_sessions_below: 5 },
              events: [makeEvent(fresh.id)],
            },
            { session_id: fresh.id, events: [makeEvent(fresh.id)] },
          ]),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'expect' });
        expect(await store.getSession(fresh.id)).toBeNull();
        expect(await store.getSession(session.id)).toEqual(session);
      });
    });

    describe('copies', () => {
      it('hands out copies: mutating what it returns changes nothing stored', async () => {
        const session = await seedSession({ metadata: { nested: { n: 1 } }, data: { k: ['v'] } });
        const run = makeRun(session.id, { input: { question: 'q', opts: { deep: true } } });
        const message = makeMessage(session.id);
        const checkpoint = makeCheckpoint(session.id);
        const [written] = await store.write({
          session_id: session.id,
          runs: [run],
          messages: [message],
          checkpoints: [checkpoint],
          events: [makeEvent(session.id, { meta: { nested: { n: 1 } } })],
        });

        const got = await store.getSession(session.id);
        if (!got) throw new Error('session missing');
        (got.metadata.nested as { n: number }).n = 2;
        (got.data.k as string[]).push('w');
        got.name = 'mutated';
        const listed = (await store.listSessions({ limit: 10 })).items[0];
        if (listed) listed.metadata.extra = true;
        const gotRun = await store.getRun(session.id, run.id);
        if (gotRun) (gotRun.input.opts as { deep: boolean }).deep = false;
        const [listedRun] = await store.listRuns(session.id);
        if (listedRun) listedRun.status = 'failed';
        const events = await allEvents(session.id);
        // A store may hand out events deep-frozen instead of copied (they never change): then the
        // mutation throws, and either way what is stored must stay as it was.
        for (const e of [...events, written])
          if (e) mutateOrRefuse(() => ((e.meta as Record<string, unknown>).added = 1));
        const [gotMessage] = await store.listMessages(session.id);
        if (gotMessage) gotMessage.content = 'mutated';
        const gotCheckpoint = await store.getCheckpoint(session.id, checkpoint.id);
        if (gotCheckpoint) gotCheckpoint.payload = 'mutated';
        const [listedCheckpoint] = await store.listCheckpoints(session.id);
        if (listedCheckpoint) listedCheckpoint.label = 'mutated';

        expect(await store.getSession(session.id)).toEqual({ ...session, last_seq: 2 });
        expect(await store.getRun(session.id, run.id)).toEqual(run);
        expect(await store.listRunsByStatus(['queued'])).toEqual([run]);
        expect((await allEvents(session.id)).map((e) => e.meta)).toEqual([{}, { nested: { n: 1 } }]);
        expect(await store.listMessages(session.id)).toEqual([message]);
        expect(await store.latestCheckpoint(session.id)).toEqual(checkpoint);
      });

      it('keeps its own copies: mutating what was written changes nothing stored', async () => {
        const session = makeSession({ metadata: { nested: { n: 1 } } });
        const run = makeRun(session.id, { input: { question: 'q' } });
        const event = makeEvent(session.id, { meta: { n: 1 } });
        const snapshot = structuredClone({ session, run, event });
        await store.write({ session_id: session.id, create: session, runs: [run], events: [event] });
        (session.metadata.nested as { n: number }).n = 2;
        run.input.question = 'changed';
        (event.meta as Record<string, unknown>).n = 2;
        expect(await store.getSession(session.id)).toEqual({ ...snapshot.session, last_seq: 1 });
        expect(await store.getRun(session.id, run.id)).toEqual(snapshot.run);
        expect((await allEvents(session.id))[0]?.meta).toEqual({ n: 1 });
      });
    });

    describe('runs', () => {
      it('inserts and replaces runs, listing them oldest first', async () => {
        const session = await seedSession();
        const later = makeRun(session.id, { created_at: isoAt(10) });
        const earlier = makeRun(session.id, { created_at: isoAt(5) });
        await store.write({ session_id: session.id, runs: [later, earlier] });
        expect(ids(await store.listRuns(session.id))).toEqual([earlier.id, later.id]);

        const finished = {
          ...later,
          status: 'completed' as const,
          result: { score: 3 },
          started_at: isoAt(11),
          finished_at: isoAt(12),
          duration_ms: 1000,
          usage: { tokens_in: 5, tokens_out: 6 },
        };
        await store.write({ session_id: session.id, runs: [finished] });
        expect(await store.getRun(session.id, later.id)).toEqual(finished);
        expect(await store.listRuns(session.id)).toEqual([earlier, finished]);
      });

      it('breaks created_at ties by insertion order, which a replace keeps', async () => {
        const session = await seedSession();
        const runs = [makeRun(session.id), makeRun(session.id), makeRun(session.id)];
        for (const run of runs) await store.write({ session_id: session.id, runs: [run] });
        const [first] = runs;
        if (!first) throw new Error('no run');
        await store.write({ session_id: session.id, runs: [{ ...first, status: 'running' }] });
        expect(ids(await store.listRuns(session.id))).toEqual(ids(runs));
      });

      it('keeps a failed run error as written', async () => {
        const session = await seedSession();
        const run = makeRun(session.id, {
          status: 'failed',
          error: { code: 'TOOL_FAILED', message: 'rag_search failed', reason: 'timeout' },
        });
        await store.write({ session_id: session.id, runs: [run] });
        expect(await store.getRun(session.id, run.id)).toEqual(run);
      });

      it('finds a run only in its own session', async () => {
        const a = await seedSession();
        const b = await seedSession();
        const run = makeRun(a.id);
        await store.write({ session_id: a.id, runs: [run] });
        expect(await store.getRun(b.id, run.id)).toBeNull();
        expect(await store.getRun(a.id, newId())).toBeNull();
        expect(await store.listRuns(b.id)).toEqual([]);
      });

      it('lists runs by status across sessions, oldest first', async () => {
        const a = await seedSession();
        const b = await seedSession();
        const queued = makeRun(a.id, { status: 'queued', created_at: isoAt(3) });
        const running = makeRun(b.id, { status: 'running', created_at: isoAt(1) });
        const done = makeRun(b.id, { status: 'completed', created_at: isoAt(2) });
        await store.write({ session_id: a.id, runs: [queued] });
        await store.write({ session_id: b.id, runs: [running, done] });
        expect(await store.listRunsByStatus(['queued', 'running'])).toEqual([running, queued]);
        expect(await store.listRunsByStatus(['completed'])).toEqual([done]);
        expect(await store.listRunsByStatus(['cancelled'])).toEqual([]);
        expect(await store.listRunsByStatus([])).toEqual([]);
      });
    });

    describe('messages', () => {
      it('lists messages in the order written; a replace keeps its place', async () => {
        const session = await seedSession();
        const question = makeMessage(session.id, { content: 'q' });
        const answer = makeMessage(session.id, { role: 'assistant', content: 'a', ts: isoAt(1) });
        const toolNote = makeMessage(session.id, { role: 'tool', tool: 'rag_search', content: 't' });
        await store.write({ session_id: session.id, messages: [question, answer] });
        await store.write({ session_id: session.id, messages: [toolNote] });
        const edited = { ...question, content: 'q, edited' };
        await store.write({ session_id: session.id, messages: [edited] });
        expect(await store.listMessages(session.id)).toEqual([edited, answer, toolNote]);
        expect(await store.listMessages(newId())).toEqual([]);
      });
    });

    describe('checkpoints', () => {
      it('lists oldest first, gets by id, and finds the latest by created_at', async () => {
        const session = await seedSession();
        const middle = makeCheckpoint(session.id, { created_at: isoAt(2), label: 'middle' });
        const newest = makeCheckpoint(session.id, { created_at: isoAt(3), run_id: newId() });
        const oldest = makeCheckpoint(session.id, { created_at: isoAt(1) });
        await store.write({ session_id: session.id, checkpoints: [middle, newest, oldest] });
        expect(await store.listCheckpoints(session.id)).toEqual([oldest, middle, newest]);
        expect(await store.getCheckpoint(session.id, middle.id)).toEqual(middle);
        expect(await store.getCheckpoint(session.id, newId())).toBeNull();
        expect(await store.latestCheckpoint(session.id)).toEqual(newest);
      });

      it('breaks created_at ties by insertion order', async () => {
        const session = await seedSession();
        const first = makeCheckpoint(session.id);
        const second = makeCheckpoint(session.id);
        await store.write({ session_id: session.id, checkpoints: [first] });
        await store.write({ session_id: session.id, checkpoints: [second] });
        expect(await store.listCheckpoints(session.id)).toEqual([first, second]);
        expect(await store.latestCheckpoint(session.id)).toEqual(second);
      });

      it('has nothing for a session without checkpoints', async () => {
        const session = await seedSession();
        expect(await store.listCheckpoints(session.id)).toEqual([]);
        expect(await store.latestCheckpoint(session.id)).toBeNull();
        expect(await store.latestCheckpoint(newId())).toBeNull();
      });

      it('deletes one or all and says how many', async () => {
        const session = await seedSession();
        const checkpoints = [1, 2, 3].map((i) => makeCheckpoint(session.id, { created_at: isoAt(i) }));
        await store.write({ session_id: session.id, checkpoints });
        const [first, ...rest] = checkpoints;
        if (!first) throw new Error('no checkpoint');
        expect(await store.deleteCheckpoints(session.id, first.id)).toBe(1);
        expect(await store.deleteCheckpoints(session.id, first.id)).toBe(0);
        expect(await store.listCheckpoints(session.id)).toEqual(rest);
        expect(await store.deleteCheckpoints(session.id)).toBe(2);
        expect(await store.listCheckpoints(session.id)).toEqual([]);
        expect(await store.deleteCheckpoints(newId())).toBe(0);
      });
    });

    describe('deleting', () => {
      it('deletes a session with its runs, events, messages and checkpoints', async () => {
        const doomed = await seedSession();
        const kept = await seedSession();
        for (const s of [doomed, kept]) {
          await store.write({
            session_id: s.id,
            runs: [makeRun(s.id, { status: 'running' })],
            messages: [makeMessage(s.id)],
            checkpoints: [makeCheckpoint(s.id)],
            events: [makeEvent(s.id)],
          });
        }
        expect(await store.deleteSessions([doomed.id])).toEqual([doomed.id]);

        expect(await store.getSession(doomed.id)).toBeNull();
        expect(await store.listRuns(doomed.id)).toEqual([]);
        expect(await store.listEvents(doomed.id, { after: 0, limit: 100 })).toEqual([]);
        expect(await store.eventBounds(doomed.id)).toEqual({ first_seq: 0, last_seq: 0 });
        expect(await store.listMessages(doomed.id)).toEqual([]);
        expect(await store.listCheckpoints(doomed.id)).toEqual([]);
        expect(await store.latestCheckpoint(doomed.id)).toBeNull();
        expect((await store.listRunsByStatus(['running'])).map((r) => r.session_id)).toEqual([kept.id]);

        expect(await store.getSession(kept.id)).toMatchObject({ id: kept.id, last_seq: 2 });
        expect(await store.listRuns(kept.id)).toHaveLength(1);
        expect(await store.listMessages(kept.id)).toHaveLength(1);
        expect(await store.listCheckpoints(kept.id)).toHaveLength(1);
        expect(seqsOf(await allEvents(kept.id))).toEqual([1, 2]);
      });

      it('returns only the ids that existed, once each', async () => {
        const a = await seedSession();
        const b = await seedSession();
        expect(await store.deleteSessions([a.id, newId(), b.id, a.id])).toEqual([a.id, b.id]);
        expect(await store.deleteSessions([a.id])).toEqual([]);
        expect(await store.deleteSessions([])).toEqual([]);
        expect(await store.countSessions({})).toBe(0);
      });
    });

    describe('sweepCandidates', () => {
      const idleBefore = isoAt(900);
      const expireBefore = isoAt(500);
      let s: Record<string, Session>;

      beforeEach(async () => {
        const busy = { active_run_id: newId() };
        const specs: Record<string, Partial<Session>> = {
          activeStale: { state: 'active', last_active_at: isoAt(800) },
          activeAncient: { state: 'active', last_active_at: isoAt(100), trace_id: 'a'.repeat(32) },
          activeFresh: { state: 'active', last_active_at: isoAt(950) },
          activeBusy: { state: 'active', last_active_at: isoAt(100), ...busy },
          idleOld: { state: 'idle', last_active_at: isoAt(200), trace_id: 'b'.repeat(32) },
          idleRecent: { state: 'idle', last_active_at: isoAt(800) },
          idleBusy: { state: 'idle', last_active_at: isoAt(100), ...busy },
          archived: { state: 'archived', last_active_at: isoAt(0) },
          expired: { state: 'expired', last_active_at: isoAt(0) },
        };
        s = {};
        for (const [key, spec] of Object.entries(specs)) s[key] = await seedSession(spec);
      });

      const idsOf = (...keys: string[]): string[] => keys.map((k) => s[k]?.id ?? `missing ${k}`);
      const candidatesOf = (...keys: string[]): SweepCandidate[] =>
        keys.map((k) => {
          const session = s[k];
          if (!session) throw new Error(`missing ${k}`);
          const { id, trace_id, state, last_active_at } = session;
          return { id, trace_id, state, last_active_at };
        });

      it('idles stale active sessions and expires old idle ones, oldest first, with their trace ids', async () => {
        const result = await store.sweepCandidates({ idleBefore, expireBefore, force: false });
        // An active session past both cutoffs is only idled now; the next sweep expires it.
        expect(result.toIdle).toEqual(candidatesOf('activeAncient', 'activeStale'));
        expect(result.toExpire).toEqual(candidatesOf('idleOld'));
      });

      it('with force, expires every free active or idle session whatever its age', async () => {
        const result = await store.sweepCandidates({ idleBefore, expireBefore, force: true });
        expect(result.toIdle).toEqual([]);
        expect(ids(result.toExpire).sort()).toEqual(
          idsOf('activeStale', 'activeAncient', 'activeFresh', 'idleOld', 'idleRecent').sort(),
        );
      });

      it('never offers a session with an active run, nor an archived or expired one', async () => {
        const never = idsOf('activeBusy', 'idleBusy', 'archived', 'expired');
        const cutoff = isoAt(10_000);
        for (const force of [false, true]) {
          const result = await store.sweepCandidates({ idleBefore: cutoff, expireBefore: cutoff, force });
          expect(ids([...result.toIdle, ...result.toExpire]).filter((id) => never.includes(id))).toEqual([]);
        }
      });

      it('never offers a session with a run stored queued or running (held by any process), until it ends', async () => {
        const cutoff = isoAt(10_000);
        const sweep = async (force: boolean) => {
          const result = await store.sweepCandidates({ idleBefore: cutoff, expireBefore: cutoff, force });
          return ids([...result.toIdle, ...result.toExpire]);
        };
        const { activeStale, idleOld } = s;
        if (!activeStale || !idleOld) throw new Error('seed missing');
        const queued = makeRun(activeStale.id, { status: 'queued' });
        const running = makeRun(idleOld.id, { status: 'running' });
        await store.write({
          session_id: activeStale.id,
          runs: [queued, makeRun(activeStale.id, { status: 'failed' })],
        });
        await store.write({ session_id: idleOld.id, runs: [running] });
        for (const force of [false, true])
          expect(await sweep(force)).not.toEqual(expect.arrayContaining([activeStale.id]));
        for (const force of [false, true]) expect(await sweep(force)).not.toContain(idleOld.id);
        await store.write({ session_id: activeStale.id, runs: [{ ...queued, status: 'running' }] });
        expect(await sweep(true)).not.toContain(activeStale.id);
        await store.write({ session_id: activeStale.id, runs: [{ ...queued, status: 'cancelled' }] });
        await store.write({ session_id: idleOld.id, runs: [{ ...running, status: 'completed' }] });
        for (const force of [false, true])
          expect(await sweep(force)).toEqual(expect.arrayContaining([activeStale.id, idleOld.id]));
      });

      it('offers nothing when the cutoffs are before every session', async () => {
        const result = await store.sweepCandidates({
          idleBefore: isoAt(0),
          expireBefore: isoAt(0),
          force: false,
        });
        expect(result).toEqual({ toIdle: [], toExpire: [] });
      });
    });

    describe('expireDue', () => {
      const expireBefore = isoAt(500);
      const ts = isoAt(1000);
      // A UUIDv7, as the core makes them (SQLite makes its in SQL).
      const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
      let s: Record<string, Session>;

      /** The envelope the sweep hands the store: everything but id, session, trace and seq is copied. */
      const template = (reason: string): UnnumberedEvent =>
        makeEvent('', {
          type: 'session.expired',
          step: null,
          ts,
          message: `session expired (${reason})`,
          meta: { reason },
        });
      const expire = (query: { force?: boolean; exclude?: string[]; before?: string } = {}, target = store) =>
        target.expireDue({
          expireBefore: query.before ?? expireBefore,
          force: query.force ?? false,
          exclude: query.exclude ?? [],
          event: template(query.force ? 'forced' : 'ttl'),
        });

      beforeEach(async () => {
        const busy = { active_run_id: newId() };
        const specs: Record<string, Partial<Session>> = {
          activeAncient: { state: 'active', last_active_at: isoAt(100) },
          activeFresh: { state: 'active', last_active_at: isoAt(950) },
          activeBusy: { state: 'active', last_active_at: isoAt(100), ...busy },
          idleOld: { state: 'idle', last_active_at: isoAt(200), trace_id: 'b'.repeat(32) },
          idleOlder: { state: 'idle', last_active_at: isoAt(150), user_id: 'ann' },
          idleRecent: { state: 'idle', last_active_at: isoAt(800) },
          idleBusy: { state: 'idle', last_active_at: isoAt(100), ...busy },
          archived: { state: 'archived', last_active_at: isoAt(0) },
          expired: { state: 'expired', last_active_at: isoAt(0) },
        };
        s = {};
        for (const [key, spec] of Object.entries(specs)) s[key] = await seedSession(spec);
        const older = s.idleOlder;
        if (older) await appendEvents(older.id, 2); // last_seq 3: seq goes on from the session's own
      });

      const idOf = (key: string): string => s[key]?.id ?? `missing ${key}`;
      const idsOf = (...keys: string[]): string[] => keys.map(idOf).sort();
      const sessionIds = (events: readonly SessionEvent[]): string[] =>
        events.map((e) => e.session_id).sort();

      it('expires exactly the idle sessions past the cut, each with one session.expired as its next seq', async () => {
        const written = await expire();
        expect(sessionIds(written)).toEqual(idsOf('idleOld', 'idleOlder'));
        for (const key of ['idleOld', 'idleOlder']) {
          const seeded = s[key];
          if (!seeded) throw new Error(`missing ${key}`);
          const lastSeq = key === 'idleOlder' ? 3 : 1;
          const event = written.find((e) => e.session_id === seeded.id);
          expect(event).toEqual({
            ...template('ttl'),
            id: expect.stringMatching(UUID),
            seq: lastSeq + 1,
            session_id: seeded.id,
            trace_id: seeded.trace_id,
          });
          expect(event?.id).not.toBe(template('ttl').id);
          // As stored: the event returned is the one a read gives, and the session moved on with it.
          expect((await allEvents(seeded.id)).at(-1)).toEqual(event);
          expect(await store.getSession(seeded.id)).toEqual({
            ...seeded,
            state: 'expired',
            updated_at: ts,
            expires_at: null,
            last_seq: lastSeq + 1,
          });
        }
        expect(new Set(written.map((e) => e.id)).size).toBe(written.length);
        expect(await store.countSessions({ state: 'expired' })).toBe(3);
        expect(await store.countSessions({ user_id: 'ann', state: 'expired' })).toBe(1);
        // Nothing else changed.
        for (const key of [
          'activeAncient',
          'activeFresh',
          'activeBusy',
          'idleRecent',
          'idleBusy',
          'archived',
        ])
          expect(await store.getSession(idOf(key))).toEqual(s[key]);
      });

      it('expires nothing more on a second call, and nothing when no session is due', async () => {
        expect(await expire({ before: isoAt(0) })).toEqual([]);
        expect(await expire()).toHaveLength(2);
        expect(await expire()).toEqual([]);
        expect(seqsOf(await allEvents(idOf('idleOld')))).toEqual([1, 2]);
      });

      it('leaves alone excluded sessions, and sessions with a run stored queued or running', async () => {
        const queued = makeRun(idOf('idleOld'), { status: 'queued' });
        await store.write({ session_id: idOf('idleOld'), runs: [queued] });
        const running = makeRun(idOf('idleRecent'), { status: 'running' });
        await store.write({ session_id: idOf('idleRecent'), runs: [running] });
        expect(await expire({ exclude: [idOf('idleOlder')] })).toEqual([]);
        expect(sessionIds(await expire({ force: true, exclude: [idOf('idleOlder')] }))).toEqual(
          idsOf('activeAncient', 'activeFresh'),
        );
        // Once its run has ended, a session is free to expire.
        await store.write({ session_id: idOf('idleOld'), runs: [{ ...queued, status: 'completed' }] });
        expect(sessionIds(await expire())).toEqual(idsOf('idleOld', 'idleOlder'));
      });

      it('leaves alone a session touched after the cut', async () => {
        await store.write({
          session_id: idOf('idleOld'),
          patch: { last_active_at: isoAt(600) },
          events: [makeEvent(idOf('idleOld'))],
        });
        expect(sessionIds(await expire())).toEqual(idsOf('idleOlder'));
        expect(await store.getSession(idOf('idleOld'))).toMatchObject({ state: 'idle', last_seq: 2 });
      });

      it('with force, expires every active or idle session without a run, whatever its age', async () => {
        const written = await expire({ force: true });
        expect(sessionIds(written)).toEqual(
          idsOf('activeAncient', 'activeFresh', 'idleOld', 'idleOlder', 'idleRecent'),
        );
        for (const event of written) expect(event).toMatchObject({ meta: { reason: 'forced' }, ts });
        for (const key of ['activeBusy', 'idleBusy', 'archived', 'expired'])
          expect(await store.getSession(idOf(key))).toEqual(s[key]);
        expect(await expire({ force: true })).toEqual([]);
        // Expired sessions are no sweep candidates any more.
        const cutoff = isoAt(10_000);
        const left = await store.sweepCandidates({ idleBefore: cutoff, expireBefore: cutoff, force: true });
        expect(left).toEqual({ toIdle: [], toExpire: [] });
      });
    });

    describe('stats', () => {
      it('reports zeros for every state and status of an empty store', async () => {
        expect(await store.stats()).toEqual({
          sessions_by_state: { active: 0, idle: 0, archived: 0, expired: 0 },
          avg_session_duration_s: 0,
          runs_by_status: { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 },
          usage: { tokens_in: 0, tokens_out: 0 },
        });
      });

      it('counts sessions by state, runs by status, and averages session duration', async () => {
        const a = await seedSession({ state: 'active', created_at: isoAt(0), last_active_at: isoAt(10) });
        await seedSession({ state: 'idle', created_at: isoAt(5), last_active_at: isoAt(25) });
        await seedSession({ state: 'idle', created_at: isoAt(1), last_active_at: isoAt(31.5) });
        await seedSession({ state: 'expired', created_at: isoAt(0), last_active_at: isoAt(0) });
        await store.write({
          session_id: a.id,
          runs: [
            makeRun(a.id, { status: 'completed' }),
            makeRun(a.id, { status: 'completed' }),
            makeRun(a.id, { status: 'running' }),
          ],
        });
        const stats = await store.stats();
        expect(stats.sessions_by_state).toEqual({ active: 1, idle: 2, archived: 0, expired: 1 });
        expect(stats.runs_by_status).toEqual({
          queued: 0,
          running: 1,
          completed: 2,
          failed: 0,
          cancelled: 0,
        });
        expect(stats.avg_session_duration_s).toBeCloseTo((10 + 20 + 30.5 + 0) / 4, 3);
      });

      it("counts only one user's sessions and their runs when asked for that user", async () => {
        const ann = await seedSession({ user_id: 'ann', created_at: isoAt(0), last_active_at: isoAt(10) });
        await seedSession({ user_id: 'ann', state: 'idle', created_at: isoAt(0), last_active_at: isoAt(30) });
        const bob = await seedSession({ user_id: 'bob', created_at: isoAt(0), last_active_at: isoAt(100) });
        const nobody = await seedSession({ state: 'expired' });
        await store.write({
          session_id: ann.id,
          runs: [makeRun(ann.id, { status: 'completed' }), makeRun(ann.id, { status: 'failed' })],
        });
        await store.write({
          session_id: bob.id,
          runs: [makeRun(bob.id, { status: 'running' }), makeRun(bob.id, { status: 'completed' })],
        });
        await store.write({ session_id: nobody.id, runs: [makeRun(nobody.id, { status: 'cancelled' })] });
        const runs = (counts: Partial<Record<string, number>>) => ({
          queued: 0,
          running: 0,
          completed: 0,
          failed: 0,
          cancelled: 0,
          ...counts,
        });

        const annStats = await store.stats({ user_id: 'ann' });
        expect(annStats.sessions_by_state).toEqual({ active: 1, idle: 1, archived: 0, expired: 0 });
        expect(annStats.runs_by_status).toEqual(runs({ completed: 1, failed: 1 }));
        expect(annStats.avg_session_duration_s).toBeCloseTo(20, 3);
        const bobStats = await store.stats({ user_id: 'bob' });
        expect(bobStats.sessions_by_state).toEqual({ active: 1, idle: 0, archived: 0, expired: 0 });
        expect(bobStats.runs_by_status).toEqual(runs({ running: 1, completed: 1 }));
        expect(bobStats.avg_session_duration_s).toBeCloseTo(100, 3);
        expect(await store.stats({ user_id: 'carol' })).toEqual({
          sessions_by_state: { active: 0, idle: 0, archived: 0, expired: 0 },
          avg_session_duration_s: 0,
          runs_by_status: runs({}),
          usage: { tokens_in: 0, tokens_out: 0 },
        });

        // No user asked for: every session, those without a user too.
        const all = await store.stats();
        expect(all.sessions_by_state).toEqual({ active: 2, idle: 1, archived: 0, expired: 1 });
        expect(all.runs_by_status).toEqual(runs({ running: 1, completed: 2, failed: 1, cancelled: 1 }));
        expect(await store.stats({})).toEqual(all);
      });

      const tokens = (tokens_in: number, tokens_out: number) => ({ tokens_in, tokens_out });
      const usageOf = async (user_id?: string) =>
        (await store.stats(user_id === undefined ? {} : { user_id })).usage;

      it('sums usage over every session, whatever its state, and over one user’s', async () => {
        await seedSession({ user_id: 'ann', usage: tokens(100, 20) });
        await seedSession({ user_id: 'ann', state: 'archived', usage: tokens(5, 1) });
        await seedSession({ user_id: 'bob', state: 'expired', usage: tokens(30, 7) });
        await seedSession({ state: 'idle', usage: tokens(2, 0) });
        await seedSession({ user_id: 'bob' }); // no tokens yet

        expect(await usageOf()).toEqual(tokens(137, 28));
        expect(await usageOf('ann')).toEqual(tokens(105, 21));
        expect(await usageOf('bob')).toEqual(tokens(30, 7));
        expect(await usageOf('carol')).toEqual(tokens(0, 0));
      });

      it('counts a session’s usage once as it rises across writes, and where its user is now', async () => {
        const ann = await seedSession({ user_id: 'ann', usage: tokens(10, 5) });
        await seedSession({ user_id: 'bob', usage: tokens(1, 1) });
        await store.write({ session_id: ann.id, patch: { usage: tokens(25, 12) } });
        // Two raises in one call: the last one is what the session has.
        await store.writeMany([
          { session_id: ann.id, patch: { usage: tokens(40, 15) }, events: [makeEvent(ann.id)] },
          {
            session_id: ann.id,
            patch: { usage: tokens(60, 18), state: 'idle' },
            events: [makeEvent(ann.id)],
          },
        ]);
        // Writes that leave usage alone leave the sums alone.
        await store.write({
          session_id: ann.id,
          patch: { state: 'active', name: 'n' },
          events: [makeEvent(ann.id)],
        });
        await store.write({ session_id: ann.id, runs: [makeRun(ann.id, { usage: tokens(99, 99) })] });
        expect(await usageOf()).toEqual(tokens(61, 19));
        expect(await usageOf('ann')).toEqual(tokens(60, 18));

        // The session moves to bob, and its tokens with it.
        await store.write({ session_id: ann.id, patch: { user_id: 'bob' } });
        expect(await usageOf('ann')).toEqual(tokens(0, 0));
        expect(await usageOf('bob')).toEqual(tokens(61, 19));
        expect(await usageOf()).toEqual(tokens(61, 19));
      });

      it('keeps an expired session’s usage, and drops a deleted one’s', async () => {
        const first = await seedSession({ user_id: 'ann', state: 'idle', usage: tokens(50, 10) });
        const second = await seedSession({ user_id: 'ann', usage: tokens(7, 3) });
        const expired = await store.expireDue({
          expireBefore: isoAt(10_000),
          force: true,
          exclude: [second.id],
          event: makeEvent('', { type: 'session.expired', step: null, meta: { reason: 'ttl' } }),
        });
        expect(expired.map((e) => e.session_id)).toEqual([first.id]);
        expect(await usageOf()).toEqual(tokens(57, 13));
        expect(await usageOf('ann')).toEqual(tokens(57, 13));

        expect(await store.deleteSessions([first.id])).toEqual([first.id]);
        expect(await usageOf()).toEqual(tokens(7, 3));
        expect(await usageOf('ann')).toEqual(tokens(7, 3));
        // Deleting what is gone already changes nothing.
        expect(await store.deleteSessions([first.id])).toEqual([]);
        expect(await usageOf()).toEqual(tokens(7, 3));
        await store.deleteSessions([second.id]);
        expect(await usageOf()).toEqual(tokens(0, 0));
        expect(await usageOf('ann')).toEqual(tokens(0, 0));
      });
    });

    describe('finishedRuns', () => {
      const finished = (
        sessionId: string,
        status: 'completed' | 'failed' | 'cancelled',
        at: number,
        duration_ms: number | null = 1000,
      ) =>
        makeRun(sessionId, {
          status,
          started_at: isoAt(at - 1),
          finished_at: isoAt(at),
          duration_ms,
        });
      /** What `finishedRuns` answers, in finish order (stores return no particular order). */
      const since = async (seconds: number, user_id?: string) =>
        (await store.finishedRuns({ since: isoAt(seconds), ...(user_id === undefined ? {} : { user_id }) }))
          .map(({ status, started_at, finished_at, duration_ms }) => ({
            status,
            started_at,
            finished_at,
            duration_ms,
          }))
          .sort((a, b) => a.finished_at.localeCompare(b.finished_at));
      const sample = (status: string, at: number, duration_ms: number | null = 1000, startedAt = at - 1) => ({
        status,
        started_at: isoAt(startedAt),
        finished_at: isoAt(at),
        duration_ms,
      });

      it('has none in an empty store', async () => {
        expect(await store.finishedRuns({ since: isoAt(0) })).toEqual([]);
      });

      it('gives the runs finished at or after since, of every finished status, and no open run', async () => {
        const a = await seedSession({ user_id: 'ann' });
        const b = await seedSession();
        await store.write({
          session_id: a.id,
          runs: [
            finished(a.id, 'completed', 100, 250),
            finished(a.id, 'failed', 200, 40),
            finished(a.id, 'completed', 99.999), // just before
            makeRun(a.id, { status: 'running', started_at: isoAt(150) }),
            makeRun(a.id, { status: 'queued' }),
          ],
        });
        // Cancelled while queued: it never started.
        await store.write({
          session_id: b.id,
          runs: [{ ...finished(b.id, 'cancelled', 300, null), started_at: null }],
        });

        expect(await since(100)).toEqual([
          sample('completed', 100, 250),
          sample('failed', 200, 40),
          { ...sample('cancelled', 300, null), started_at: null },
        ]);
        expect(await since(250)).toEqual([{ ...sample('cancelled', 300, null), started_at: null }]);
        expect(await since(301)).toEqual([]);
      });

      it('gives only one user’s runs when asked, following a session to its new user', async () => {
        const ann = await seedSession({ user_id: 'ann' });
        const bob = await seedSession({ user_id: 'bob' });
        const nobody = await seedSession();
        await store.write({ session_id: ann.id, runs: [finished(ann.id, 'completed', 10)] });
        await store.write({ session_id: bob.id, runs: [finished(bob.id, 'failed', 20)] });
        await store.write({ session_id: nobody.id, runs: [finished(nobody.id, 'cancelled', 30)] });

        expect(await since(0, 'ann')).toEqual([sample('completed', 10)]);
        expect(await since(0, 'bob')).toEqual([sample('failed', 20)]);
        expect(await since(0, 'carol')).toEqual([]);
        expect(await since(0)).toHaveLength(3);

        await store.write({ session_id: bob.id, patch: { user_id: 'ann' } });
        expect(await since(0, 'ann')).toEqual([sample('completed', 10), sample('failed', 20)]);
        expect(await since(0, 'bob')).toEqual([]);
      });

      it('counts a run once as it goes from queued to running to finished, and forgets a deleted session’s', async () => {
        const s = await seedSession({ user_id: 'ann' });
        const run = makeRun(s.id);
        await store.write({ session_id: s.id, runs: [run] });
        expect(await since(0)).toEqual([]);
        await store.write({ session_id: s.id, runs: [{ ...run, status: 'running', started_at: isoAt(5) }] });
        expect(await since(0)).toEqual([]);
        const done = { ...run, status: 'completed' as const, started_at: isoAt(5), finished_at: isoAt(7) };
        await store.write({ session_id: s.id, runs: [{ ...done, duration_ms: 2000 }] });
        expect(await since(0)).toEqual([sample('completed', 7, 2000, 5)]);
        expect(await since(0, 'ann')).toEqual([sample('completed', 7, 2000, 5)]);

        await store.deleteSessions([s.id]);
        expect(await since(0)).toEqual([]);
        expect(await since(0, 'ann')).toEqual([]);
      });
    });

    describe('lifecycle', () => {
      it('answers ping while open', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('rejects every call with STORE_UNAVAILABLE after close, and closes twice quietly', async () => {
        const session = await seedSession();
        await store.close();
        await expect(store.close()).resolves.toBeUndefined();
        await expectCode(store.ping(), 'STORE_UNAVAILABLE');
        await expectCode(store.getSession(session.id), 'STORE_UNAVAILABLE');
        await expectCode(store.listSessions({ limit: 10 }), 'STORE_UNAVAILABLE');
        await expectCode(
          store.write({ session_id: session.id, events: [makeEvent(session.id)] }),
          'STORE_UNAVAILABLE',
        );
        await expectCode(store.listEvents(session.id, { after: 0, limit: 10 }), 'STORE_UNAVAILABLE');
        await expectCode(store.stats(), 'STORE_UNAVAILABLE');
      });
    });
  });
}

/**
 * What a store whose data outlives a connection (SQLite's file, Redis) must keep on top of
 * {@link describeStoreConformance}: data across close and reopen, one sequence across connections.
 * Its hooks are required, so a durable store cannot leave these cases out unseen.
 */
export function describeDurableStoreConformance(name: string, factory: DurableStoreFactory): void {
  describe(`${name} durability conformance`, () => {
    const { current, track } = trackedStores(factory);

    it('keeps one gap-free sequence when two connections interleave', async () => {
      const store = current.store;
      const session = await seed(store);
      const second = await track(factory.openSecond());
      const writes = Array.from({ length: 100 }, (_, i) =>
        append(i % 2 === 0 ? store : second, session.id, 1 + (i % 3)),
      );
      const total = (await Promise.all(writes)).flat().length;
      const expected = range(1, total + 1);
      expect(seqsOf(await eventsOf(store, session.id))).toEqual(expected);
      expect(seqsOf(await eventsOf(second, session.id))).toEqual(expected);
      expect((await second.getSession(session.id))?.last_seq).toBe(total + 1);
    });

    it('lets exactly one of two connections apply the same conditional write (two sweepers racing)', async () => {
      const store = current.store;
      const second = await track(factory.openSecond());
      const sessions = await Promise.all(
        Array.from({ length: 20 }, () => seed(store, { state: 'active', last_active_at: isoAt(5) })),
      );
      const idle = (target: SessionStore) =>
        target.writeMany(
          sessions.map((s) => ({
            session_id: s.id,
            expect: { state: 'active' as const, last_active_at: isoAt(5) },
            patch: { state: 'idle' as const },
            events: [makeEvent(s.id, { type: 'session.updated' })],
          })),
        );
      const [fromFirst, fromSecond] = await Promise.all([idle(store), idle(second)]);
      sessions.forEach((s, i) => {
        const applied = [fromFirst[i], fromSecond[i]].filter((events) => (events?.length ?? 0) > 0);
        expect(applied.map((events) => seqsOf(events ?? []))).toEqual([[2]]);
      });
      for (const s of sessions) expect(seqsOf(await eventsOf(second, s.id))).toEqual([1, 2]);
    });

    it('lets two connections expiring the same due sessions at once expire each exactly once', async () => {
      const store = current.store;
      const second = await track(factory.openSecond());
      const sessions = await Promise.all(
        Array.from({ length: 20 }, () => seed(store, { state: 'idle', last_active_at: isoAt(5) })),
      );
      const expire = (target: SessionStore) =>
        target.expireDue({
          expireBefore: isoAt(10),
          force: false,
          exclude: [],
          event: makeEvent('', { type: 'session.expired', step: null, meta: { reason: 'ttl' } }),
        });
      const [fromFirst, fromSecond] = await Promise.all([expire(store), expire(second)]);
      const expired = [...fromFirst, ...fromSecond].map((e) => e.session_id).sort();
      expect(expired).toEqual(sessions.map((s) => s.id).sort());
      for (const s of sessions) expect(seqsOf(await eventsOf(second, s.id))).toEqual([1, 2]);
    });

    it('keeps everything across close and reopen, and seq goes on', async () => {
      const store = current.store;
      const session = await seed(store, { user_id: 'ann', metadata: { k: 'v' } });
      const run = makeRun(session.id, { status: 'completed', result: { ok: true } });
      await store.write({
        session_id: session.id,
        patch: { state: 'idle', run_count: 1, usage: { tokens_in: 12, tokens_out: 4 } },
        runs: [run],
        messages: [makeMessage(session.id), makeMessage(session.id, { role: 'assistant' })],
        checkpoints: [makeCheckpoint(session.id)],
        events: [makeEvent(session.id), makeEvent(session.id)],
      });
      const read = async (target: SessionStore) => ({
        session: await target.getSession(session.id),
        page: await target.listSessions({ limit: 10 }),
        runs: await target.listRuns(session.id),
        events: await eventsOf(target, session.id),
        messages: await target.listMessages(session.id),
        checkpoints: await target.listCheckpoints(session.id),
        stats: await target.stats(),
      });
      const before = await read(store);
      await store.close();

      const reopened = await track(factory.reopen());
      expect(await read(reopened)).toEqual(before);
      expect(seqsOf(await append(reopened, session.id, 2))).toEqual([4, 5]);
    });
  });
}
