import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { isTributaryError, REDACTED, type Runtime, type StoredCheckpoint } from '../../../core/index.ts';
import { CheckpointCipher } from '../../../core/checkpoints/checkpoint-cipher.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { startRuntime } from '../../fixtures/runtime.ts';

const KEY_A = 'a1'.repeat(32);
const KEY_B = 'b2'.repeat(32);
const PREFIX = 'aes256gcm:v1:';

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.shutdown();
});

async function start(env: Record<string, string> = {}, store?: MemoryStore): Promise<Runtime> {
  const rt = await startRuntime(env, store ? { store } : {});
  runtimes.push(rt);
  return rt;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

async function onlyStored(rt: Runtime, sessionId: string): Promise<StoredCheckpoint> {
  const stored = await rt.store.listCheckpoints(sessionId);
  expect(stored).toHaveLength(1);
  return stored[0]!;
}

describe('Checkpoints through the runtime', () => {
  it('save, list, get, latest, delete and clear', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const first = await rt.checkpoints.save(session.id, { step: 'start', n: 1 }, { label: 'first' });
    expect(first).toMatchObject({
      session_id: session.id,
      run_id: null,
      label: 'first',
      state: { step: 'start', n: 1 },
    });
    expect(first).not.toHaveProperty('payload');
    // A checkpoint may name a run only while it is live: this one waits for an approval until shutdown.
    const run = await rt.runs.create(session.id, { input: { question: 'q', publish: true }, flow: 'ask' });
    const second = await rt.checkpoints.save(session.id, { step: 'middle', n: 2 }, { run_id: run.id });
    const third = await rt.checkpoints.save(session.id, { step: 'end', n: 3 });
    expect(second).toMatchObject({ run_id: run.id, label: null });

    expect((await rt.checkpoints.list(session.id)).map((c) => c.id)).toEqual([first.id, second.id, third.id]);
    expect(await rt.checkpoints.get(session.id, second.id)).toEqual(second);
    expect(await rt.checkpoints.latest(session.id)).toEqual(third);

    await rt.checkpoints.delete(session.id, third.id);
    expect(await rt.checkpoints.latest(session.id)).toEqual(second);
    await expect(rt.checkpoints.get(session.id, third.id)).rejects.toMatchObject({
      code: 'CHECKPOINT_NOT_FOUND',
    });

    expect(await rt.checkpoints.clear(session.id)).toBe(2);
    expect(await rt.checkpoints.list(session.id)).toEqual([]);
    expect(await rt.checkpoints.clear(session.id)).toBe(0);
  });

  it('each save writes checkpoint.saved naming the checkpoint, and counts as activity', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const saved = await rt.checkpoints.save(session.id, { step: 1 }, { label: 'after retrieval' });
    const events = await rt.store.listEvents(session.id, { after: 0, limit: 100 });
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'session.created'],
      [2, 'checkpoint.saved'],
    ]);
    expect(events[1]).toMatchObject({
      run_id: null,
      message: 'checkpoint saved: after retrieval',
      meta: { checkpoint_id: saved.id, label: 'after retrieval', encrypted: false },
    });
    const after = await rt.sessions.get(session.id);
    expect(after.last_seq).toBe(2);
    expect(after.last_active_at >= session.last_active_at).toBe(true);
  });

  it('unknown ids are CHECKPOINT_NOT_FOUND; latest of none too; unknown sessions SESSION_NOT_FOUND', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const latest = await rejectionOf(rt.checkpoints.latest(session.id));
    expect(isTributaryError(latest, 'CHECKPOINT_NOT_FOUND')).toBe(true);
    expect(latest).toMatchObject({ kind: 'not_found' });

    const get = await rejectionOf(rt.checkpoints.get(session.id, 'nope'));
    expect(get).toMatchObject({ code: 'CHECKPOINT_NOT_FOUND', field: 'checkpoint_id' });
    await expect(rt.checkpoints.delete(session.id, 'nope')).rejects.toMatchObject({
      code: 'CHECKPOINT_NOT_FOUND',
    });

    await expect(rt.checkpoints.save('missing', { a: 1 })).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
    await expect(rt.checkpoints.list('missing')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await expect(rt.checkpoints.latest('missing')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });

    // A checkpoint of another session is not found through this one.
    const other = await rt.sessions.create();
    const foreign = await rt.checkpoints.save(other.id, { a: 1 });
    await expect(rt.checkpoints.get(session.id, foreign.id)).rejects.toMatchObject({
      code: 'CHECKPOINT_NOT_FOUND',
    });
    await expect(rt.checkpoints.delete(session.id, foreign.id)).rejects.toMatchObject({
      code: 'CHECKPOINT_NOT_FOUND',
    });
    expect(await rt.checkpoints.get(other.id, foreign.id)).toEqual(foreign);
  });

  it('stores state with secrets redacted, and keeps shared (non-circular) values', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const chunk = { text: 'observables are lazy' };
    const saved = await rt.checkpoints.save(session.id, {
      step: 'retrieval_done',
      api_key: 'sk-live-123',
      backend: { url: 'http://rag', Authorization: 'Bearer abc', password: 'hunter2' },
      chunks: [chunk],
      best: chunk,
    });
    const expected = {
      step: 'retrieval_done',
      api_key: REDACTED,
      backend: { url: 'http://rag', Authorization: REDACTED, password: REDACTED },
      chunks: [{ text: 'observables are lazy' }],
      best: { text: 'observables are lazy' },
    };
    expect(saved.state).toEqual(expected);
    expect(await rt.checkpoints.get(session.id, saved.id)).toMatchObject({ state: expected });
    const stored = await onlyStored(rt, session.id);
    for (const secret of ['sk-live-123', 'Bearer abc', 'hunter2'])
      expect(stored.payload).not.toContain(secret);
  });

  it.each([
    ['null', null],
    ['an array', [1, 2]],
    ['a string', 'state'],
    ['a number', 42],
  ])('state that is %s is INVALID_ARGUMENT and nothing is written', async (_, state) => {
    const rt = await start();
    const session = await rt.sessions.create();
    const error = await rejectionOf(
      rt.checkpoints.save(session.id, state as unknown as Record<string, unknown>),
    );
    expect(isTributaryError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(error).toMatchObject({ field: 'state', kind: 'invalid' });
    expect(await rt.store.listCheckpoints(session.id)).toEqual([]);
    expect((await rt.sessions.get(session.id)).last_seq).toBe(1);
  });
});

describe('Checkpoints encrypted at rest (CHECKPOINT_KEY)', () => {
  it('stores ciphertext, never the plaintext, and opens it again', async () => {
    const rt = await start({ CHECKPOINT_KEY: KEY_A });
    const session = await rt.sessions.create();
    const state = { step: 'generate_done', question: 'what is a Subject', score: 7 };
    const saved = await rt.checkpoints.save(session.id, state, { label: 'quiz' });
    expect(saved.state).toEqual(state);

    const stored = await onlyStored(rt, session.id);
    expect(stored.payload.startsWith(PREFIX)).toBe(true);
    for (const plain of ['generate_done', 'what is a Subject', '"score"', 'step']) {
      expect(stored.payload).not.toContain(plain);
    }
    expect(await rt.checkpoints.get(session.id, saved.id)).toEqual(saved);
    expect(await rt.checkpoints.latest(session.id)).toEqual(saved);
    expect(await rt.checkpoints.list(session.id)).toEqual([saved]);
    const events = await rt.store.listEvents(session.id, { after: 1, limit: 10 });
    expect(events[0]).toMatchObject({ type: 'checkpoint.saved', meta: { encrypted: true } });
  });

  it('the same key in base64 opens what the hex key sealed', async () => {
    const store = new MemoryStore();
    const hex = await start({ CHECKPOINT_KEY: KEY_A }, store);
    const session = await hex.sessions.create();
    const saved = await hex.checkpoints.save(session.id, { a: 1 });
    const base64 = await start({ CHECKPOINT_KEY: Buffer.from(KEY_A, 'hex').toString('base64') }, store);
    expect(await base64.checkpoints.get(session.id, saved.id)).toEqual(saved);
  });

  it('another key over the same store is CHECKPOINT_DECRYPT_FAILED with a clear message', async () => {
    const store = new MemoryStore();
    const writer = await start({ CHECKPOINT_KEY: KEY_A }, store);
    const session = await writer.sessions.create();
    const saved = await writer.checkpoints.save(session.id, { secret_plan: 'x' });

    const reader = await start({ CHECKPOINT_KEY: KEY_B }, store);
    const error = await rejectionOf(reader.checkpoints.get(session.id, saved.id));
    expect(isTributaryError(error, 'CHECKPOINT_DECRYPT_FAILED')).toBe(true);
    expect(error).toMatchObject({ kind: 'internal' });
    expect((error as Error).message).toMatch(/cannot be decrypted: wrong CHECKPOINT_KEY or altered data/);
    expect((error as Error).message).toContain(saved.id);
    await expect(reader.checkpoints.latest(session.id)).rejects.toMatchObject({
      code: 'CHECKPOINT_DECRYPT_FAILED',
    });
    await expect(reader.checkpoints.list(session.id)).rejects.toMatchObject({
      code: 'CHECKPOINT_DECRYPT_FAILED',
    });
  });

  it('no key over encrypted checkpoints is CHECKPOINT_DECRYPT_FAILED saying no key is set', async () => {
    const store = new MemoryStore();
    const writer = await start({ CHECKPOINT_KEY: KEY_A }, store);
    const session = await writer.sessions.create();
    const saved = await writer.checkpoints.save(session.id, { a: 1 });

    const reader = await start({}, store);
    const error = await rejectionOf(reader.checkpoints.get(session.id, saved.id));
    expect(isTributaryError(error, 'CHECKPOINT_DECRYPT_FAILED')).toBe(true);
    expect((error as Error).message).toContain('no CHECKPOINT_KEY is set');
  });

  it('a tampered payload is CHECKPOINT_DECRYPT_FAILED', async () => {
    const rt = await start({ CHECKPOINT_KEY: KEY_A });
    const session = await rt.sessions.create();
    const saved = await rt.checkpoints.save(session.id, { step: 'start' });
    const stored = await onlyStored(rt, session.id);

    const raw = Buffer.from(stored.payload.slice(PREFIX.length), 'base64');
    const last = raw.length - 1;
    raw.writeUInt8(raw.readUInt8(last) ^ 0x01, last); // one bit of the ciphertext body
    const tampered = { ...stored, payload: PREFIX + raw.toString('base64') };
    expect(tampered.payload).not.toBe(stored.payload);
    await rt.store.write({ session_id: session.id, checkpoints: [tampered] });

    await expect(rt.checkpoints.get(session.id, saved.id)).rejects.toMatchObject({
      code: 'CHECKPOINT_DECRYPT_FAILED',
    });
  });

  it('ciphertext moved to another checkpoint record does not open (bound to its ids)', async () => {
    const rt = await start({ CHECKPOINT_KEY: KEY_A });
    const session = await rt.sessions.create();
    const one = await rt.checkpoints.save(session.id, { n: 1 });
    const two = await rt.checkpoints.save(session.id, { n: 2 });
    const stored = await rt.store.listCheckpoints(session.id);
    const storedOne = stored.find((c) => c.id === one.id)!;
    const storedTwo = stored.find((c) => c.id === two.id)!;
    await rt.store.write({
      session_id: session.id,
      checkpoints: [{ ...storedTwo, payload: storedOne.payload }],
    });
    await expect(rt.checkpoints.get(session.id, two.id)).rejects.toMatchObject({
      code: 'CHECKPOINT_DECRYPT_FAILED',
    });
    expect((await rt.checkpoints.get(session.id, one.id)).state).toEqual({ n: 1 });
  });
});

describe('CheckpointCipher', () => {
  it('without a key stores JSON as it is', () => {
    const cipher = new CheckpointCipher(undefined);
    expect(cipher.encrypts).toBe(false);
    const payload = cipher.seal({ a: [1, 2] }, 's/c');
    expect(payload).toBe('{"a":[1,2]}');
    expect(cipher.open(payload, 'whatever')).toEqual({ a: [1, 2] });
  });

  it('with a key seals to a fresh ciphertext each time and opens with the same aad only', () => {
    const cipher = new CheckpointCipher(randomBytes(32));
    expect(cipher.encrypts).toBe(true);
    const one = cipher.seal({ step: 3 }, 's1/cp1');
    const two = cipher.seal({ step: 3 }, 's1/cp1');
    expect(one.startsWith(PREFIX)).toBe(true);
    expect(one).not.toBe(two); // random IV
    expect(cipher.open(one, 's1/cp1')).toEqual({ step: 3 });
    expect(cipher.open(two, 's1/cp1')).toEqual({ step: 3 });

    for (const aad of ['s1/cp2', 's2/cp1', '']) {
      let error: unknown;
      try {
        cipher.open(one, aad);
      } catch (caught) {
        error = caught;
      }
      expect(isTributaryError(error, 'CHECKPOINT_DECRYPT_FAILED')).toBe(true);
    }
  });

  it('with a key, refuses plaintext at rest (it could have been swapped in)', () => {
    const plain = new CheckpointCipher(undefined).seal({ admin: true }, 'x');
    expect(() => new CheckpointCipher(randomBytes(32)).open(plain, 'x')).toThrow(
      /stored unencrypted while CHECKPOINT_KEY is set/,
    );
  });

  it('another key cannot open it', () => {
    const payload = new CheckpointCipher(randomBytes(32)).seal({ a: 1 }, 'x');
    expect(() => new CheckpointCipher(randomBytes(32)).open(payload, 'x')).toThrow(/wrong CHECKPOINT_KEY/);
  });

  it('refuses a key that is not 32 bytes', () => {
    let error: unknown;
    try {
      new CheckpointCipher(randomBytes(16));
    } catch (caught) {
      error = caught;
    }
    expect(isTributaryError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error).toMatchObject({ field: 'CHECKPOINT_KEY' });
  });
});
