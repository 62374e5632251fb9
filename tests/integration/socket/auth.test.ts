import { afterEach, describe, expect, it } from 'vitest';
import { ANN_KEY, API_KEYS, BOB_KEY, TEST_PLUGINS, useGateway } from '../gateway/platform.ts';
import { eventually, range, seqsOf, trackedClients } from './socket-client.ts';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('Socket.IO bridge with API_KEYS', () => {
  const gw = useGateway({ API_KEYS, PLUGINS: TEST_PLUGINS, DEFAULT_FLOW: 'tick' }, { socketGraceMs: 0 });
  const runtime = () => gw().platform.runtime;
  const clients = trackedClients(() => gw().url);
  const client = (token?: string) => clients.connect(token);

  afterEach(async () => {
    clients.closeAll();
    await eventually(() => runtime().events.subscriberCount() === 0, 'every channel released');
  });

  it('refuses a handshake with no token or a wrong one, with a clear connect_error', async () => {
    await expect(client()).rejects.toMatchObject({
      message: 'missing API key: connect with auth: { token: <key> }',
      data: { code: 'UNAUTHORIZED' },
    });
    await expect(client('not-a-real-key')).rejects.toMatchObject({
      message: 'invalid API key',
      data: { code: 'UNAUTHORIZED' },
    });
    expect(gw().platform.io!.of('/').sockets.size).toBe(0);
  });

  it("lets a key in and reads only its user's sessions: another user's is SESSION_NOT_FOUND, as an unknown id", async () => {
    const annSession = (await runtime().sessions.create({ user_id: 'ann' })).id;
    const bobSession = (await runtime().sessions.create({ user_id: 'bob' })).id;
    const [ann, bob] = [await client(ANN_KEY), await client(BOB_KEY)];

    expect(await ann.subscribe(annSession)).toEqual({ ok: true, last_seq: 1, recovered: true });
    expect(await bob.subscribe(bobSession)).toEqual({ ok: true, last_seq: 1, recovered: true });
    const foreign = await ann.subscribe(bobSession);
    const unknown = await ann.subscribe(UNKNOWN);
    expect(foreign).toEqual({
      ok: false,
      error: { code: 'SESSION_NOT_FOUND', message: `session ${bobSession} not found`, field: 'session_id' },
    });
    expect(JSON.stringify(unknown).replaceAll(UNKNOWN, bobSession)).toBe(JSON.stringify(foreign));
    expect(await ann.socket.timeout(10_000).emitWithAck('cancel', { session_id: bobSession })).toEqual(
      foreign,
    );

    // Bob's run reaches Bob only.
    const run = await runtime().runs.create(bobSession, {
      flow: 'tick',
      input: { question: 'q', ticks: 5, everyMs: 1 },
    });
    const end = await bob.until((event) => event.run_id === run.id && event.type === 'run.completed');
    expect(seqsOf(bob.events)).toEqual(range(1, end.seq));
    await runtime().sessions.recordProgress(annSession, { step: 'ping', message: 'for ann' });
    await ann.until((event) => event.step === 'ping');
    expect(ann.events.every((event) => event.session_id === annSession)).toBe(true);
    expect(bob.events.every((event) => event.session_id === bobSession)).toBe(true);
  });
});

describe('Socket.IO bridge CORS', () => {
  const gw = useGateway({ CORS_ORIGINS: 'https://app.example' }, { socketGraceMs: 0 });
  const handshake = (origin: string) =>
    fetch(`${gw().url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: origin } });

  it('allows the origins CORS_ORIGINS allows for HTTP, and no other', async () => {
    const allowed = await handshake('https://app.example');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await handshake('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    await Promise.all([allowed.text(), other.text()]);
  });
});
