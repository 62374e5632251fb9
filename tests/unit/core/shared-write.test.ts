import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../../core/errors.ts';
import type { SessionEvent } from '../../../core/events/event.ts';
import type { WriteBatch } from '../../../core/store/session-store.ts';
import { isStoreFailure, SharedWrite } from '../../../core/events/shared-write.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { makeEvent, makeRun, makeSession } from '../stores/fixtures.ts';

/** The real memory store, recording the session ids of every writeMany call; `failWhen` refuses some. */
class RecordingStore extends MemoryStore {
  calls: string[][] = [];
  failWhen: (batches: readonly WriteBatch[]) => Error | null = () => null;

  override async writeMany(batches: readonly WriteBatch[]): Promise<SessionEvent[][]> {
    this.calls.push(batches.map((batch) => batch.session_id));
    const failure = this.failWhen(batches);
    if (failure) throw failure;
    return super.writeMany(batches);
  }
}

/** A batch creating a new session with `events` step events (its run of another session makes it bad). */
function create(events: number, bad = false): WriteBatch {
  const session = makeSession();
  return {
    session_id: session.id,
    create: session,
    runs: bad ? [makeRun(makeSession().id)] : undefined,
    events: Array.from({ length: events }, () => makeEvent(session.id)),
  };
}

const seqsOf = (written: SessionEvent[][]) => written.map((events) => events.map((e) => e.seq));

describe('SharedWrite', () => {
  it('writes the batches of callers in one turn in one store call, each caller getting its own events', async () => {
    const store = new RecordingStore();
    const shared = new SharedWrite(store, 500);
    const a = [create(2), create(1)];
    const b = [create(3)];
    const [writtenA, writtenB] = await Promise.all([shared.write(a), shared.write(b)]);
    expect(store.calls).toEqual([[a[0]?.session_id, a[1]?.session_id, b[0]?.session_id]]);
    expect(seqsOf(writtenA)).toEqual([[1, 2], [1]]);
    expect(seqsOf(writtenB)).toEqual([[1, 2, 3]]);
    expect(writtenB[0]?.every((event) => event.session_id === b[0]?.session_id)).toBe(true);
  });

  it('isolates a bad batch: after the shared call fails, each caller is written alone and only the bad one fails', async () => {
    const store = new RecordingStore();
    const shared = new SharedWrite(store, 500);
    const good = create(1);
    const bad = create(1, true);
    const alsoGood = create(1);
    const results = await Promise.allSettled([
      shared.write([good]),
      shared.write([bad]),
      shared.write([alsoGood]),
    ]);
    expect(results).toMatchObject([
      { status: 'fulfilled', value: [[{ seq: 1 }]] },
      { status: 'rejected', reason: { code: 'INVALID_ARGUMENT' } },
      { status: 'fulfilled', value: [[{ seq: 1 }]] },
    ]);
    expect(store.calls).toEqual([
      [good.session_id, bad.session_id, alsoGood.session_id],
      [good.session_id],
      [bad.session_id],
      [alsoGood.session_id],
    ]);
    expect(await store.getSession(bad.session_id)).toBeNull();
    expect(await store.getSession(alsoGood.session_id)).toMatchObject({ last_seq: 1 });
  });

  it('fails every caller at once when the store itself is down, without writing any alone', async () => {
    const store = new RecordingStore();
    store.failWhen = () => new TributaryError('STORE_UNAVAILABLE', 'disk gone');
    const shared = new SharedWrite(store, 500);
    const results = await Promise.allSettled([shared.write([create(1)]), shared.write([create(1)])]);
    expect(results).toMatchObject([
      { status: 'rejected', reason: { code: 'STORE_UNAVAILABLE' } },
      { status: 'rejected', reason: { code: 'STORE_UNAVAILABLE' } },
    ]);
    expect(store.calls).toHaveLength(1);
  });

  it('does not write a lone caller again after its call failed', async () => {
    const store = new RecordingStore();
    const shared = new SharedWrite(store, 500);
    await expect(shared.write([create(1, true), create(1)])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(store.calls).toHaveLength(1);
  });

  it('gives a lone caller the events of each of its batches, in order', async () => {
    const store = new RecordingStore();
    const shared = new SharedWrite(store, 500);
    const batches = [create(2), create(1), create(3)];
    const written = await shared.write(batches);
    expect(store.calls).toEqual([batches.map((batch) => batch.session_id)]);
    expect(seqsOf(written)).toEqual([[1, 2], [1], [1, 2, 3]]);
    expect(written.map((events) => events[0]?.session_id)).toEqual(batches.map((batch) => batch.session_id));
  });

  it('goes out at once when maxBatches are waiting, the rest in the next call', async () => {
    const store = new RecordingStore();
    const shared = new SharedWrite(store, 3);
    const batches = [create(1), create(1), create(1), create(1)];
    await Promise.all([
      shared.write(batches.slice(0, 2)),
      shared.write(batches.slice(2, 3)),
      shared.write(batches.slice(3)),
    ]);
    expect(store.calls.map((call) => call.length)).toEqual([3, 1]);
  });

  it('tells a failed store from a refused batch', () => {
    expect(isStoreFailure(new TributaryError('STORE_UNAVAILABLE', 'down'))).toBe(true);
    expect(isStoreFailure(new TributaryError('STORE_CORRUPT', 'not a database'))).toBe(true);
    const damagedSession = new TributaryError('STORE_CORRUPT', 'session s1: stored data is unreadable', {
      details: { session_id: 's1' },
    });
    expect(isStoreFailure(damagedSession)).toBe(false);
    expect(isStoreFailure(new TributaryError('INVALID_ARGUMENT', 'run of another session'))).toBe(false);
    expect(isStoreFailure(new Error('STORE_UNAVAILABLE'))).toBe(false);
  });
});
