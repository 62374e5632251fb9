import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_EVENT_TYPES, type Run, type SessionEvent } from '../../../core/index.ts';
import {
  allEvents,
  eventWhere,
  expectProblem,
  newSession,
  problemFields,
  runToEnd,
  sleep,
  TEST_PLUGINS,
  useGateway,
  type Gateway,
} from './platform.ts';

/**
 * Completion webhooks end to end: a real gateway posting to a real receiver (node:http on 127.0.0.1,
 * so WEBHOOK_ALLOW_PRIVATE=true there; the refusal of private addresses has a gateway of its own).
 */
const SECRET = `whsec_${Buffer.from('a test key for webhook signatures!').toString('base64')}`;
const KEY = Buffer.from(SECRET.slice('whsec_'.length), 'base64');

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver does with a request to a path: answer with a status, or never answer. */
type Behaviour = (count: number) => number | 'hang';

/** A webhook receiver: records every request, answers each path as its behaviour says. */
function useReceiver(behaviours: Record<string, Behaviour>) {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      for (const wake of waiters.splice(0)) wake();
      const count = received.filter((r) => r.path === path).length;
      const answer = (behaviours[path] ?? (() => 404))(count);
      if (answer === 'hang') hanging.push(response);
      else response.writeHead(answer).end('ok');
    });
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: (path: string) => `${base}${path}`,
    /** Every request to `path` so far. */
    at: (path: string) => received.filter((r) => r.path === path),
    hanging,
    /** Resolves once `path` got `count` requests. */
    async waitFor(path: string, count: number): Promise<Received[]> {
      while (received.filter((r) => r.path === path).length < count)
        await new Promise<void>((resolve) => waiters.push(resolve));
      return received.filter((r) => r.path === path);
    },
  };
}

/** The Standard Webhooks check, as a receiver does it: HMAC-SHA256 of `<id>.<timestamp>.<body>`. */
function verified({ headers, body }: Received): boolean {
  const signed = `${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`;
  const expected = Buffer.from(`v1,${createHmac('sha256', KEY).update(signed).digest('base64')}`);
  return String(headers['webhook-signature'])
    .split(' ')
    .some((candidate) => {
      const given = Buffer.from(candidate);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

interface Delivery {
  type: string;
  timestamp: string;
  data: { run: Run; seq: number };
}

async function createRun(gw: Gateway, sessionId: string, json: Record<string, unknown>): Promise<Run> {
  const reply = await gw.call('POST', `/v1/sessions/${sessionId}/runs`, { json });
  expect(reply.status, reply.text).toBe(202);
  return reply.body as Run;
}

/** Polls until the session has `count` `webhook.delivery` events of the run. */
async function deliveryEvents(gw: Gateway, sessionId: string, runId: string, count: number) {
  for (;;) {
    const events = (await allEvents(gw.api, sessionId)).filter(
      (event) => event.type === 'webhook.delivery' && event.meta.run_id === runId,
    );
    if (events.length >= count) return events;
    await sleep(20);
  }
}

const terminalOf = (events: SessionEvent[], runId: string): SessionEvent =>
  events.find(
    (event) => event.run_id === runId && (TERMINAL_EVENT_TYPES as readonly string[]).includes(event.type),
  )!;

describe('completion webhooks', () => {
  const receiver = useReceiver({
    '/ok': () => 200,
    // 500 twice, then delivered.
    '/flaky': (count) => (count <= 2 ? 500 : 204),
    '/down': () => 503,
    '/hang': () => 'hang',
    '/moved': () => 302,
  });
  const gw = useGateway({
    PLUGINS: TEST_PLUGINS,
    // One slot: a run that ended must have freed it for the next one to run.
    CONCURRENCY_LIMIT: '1',
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_FIRST_MS: '10',
    WEBHOOK_RETRY_FOR_MS: '2000',
    WEBHOOK_TIMEOUT_MS: '2000',
  });

  it.each([
    ['completed', { question: 'q' }, 'ask'],
    ['failed', { question: 'q', fail: true }, 'ask'],
    ['cancelled', { question: 'q' }, 'tick'],
  ] as const)('posts the %s run, signed, with its terminal seq', async (status, input, flow) => {
    const sessionId = await newSession(gw().api);
    const path = '/ok';
    const before = receiver.at(path).length;
    const created = await createRun(gw(), sessionId, { input, flow, webhook: { url: receiver.url(path) } });
    // The webhook is not part of the run's record.
    expect(created).not.toHaveProperty('webhook');
    if (status === 'cancelled') {
      const reply = await gw().call('POST', `/v1/sessions/${sessionId}/runs/${created.id}/cancel`);
      expect(reply.status).toBe(202);
    }
    const run = await runToEnd(gw().api, sessionId, created.id);
    expect(run.status).toBe(status);
    expect(run).not.toHaveProperty('webhook');
    const [request] = (await receiver.waitFor(path, before + 1)).slice(before);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(verified(request!)).toBe(true);
    const terminal = terminalOf(await allEvents(gw().api, sessionId), run.id);
    expect(request!.headers['webhook-id']).toBe(terminal.id);
    expect(Number(request!.headers['webhook-timestamp'])).toBeGreaterThan(1_700_000_000);
    const delivery = JSON.parse(request!.body) as Delivery;
    expect(delivery).toMatchObject({ type: `run.${status}`, timestamp: terminal.ts });
    expect(delivery.data.seq).toBe(terminal.seq);
    expect(delivery.data.run).toMatchObject({
      id: run.id,
      session_id: sessionId,
      status,
      result: run.result,
      error: run.error,
      usage: run.usage,
    });
    if (status === 'completed') expect(delivery.data.run.result).toEqual({ answer: 'answer to q' });
    if (status === 'failed') expect(delivery.data.run.error).toMatchObject({ code: expect.any(String) });
    // The attempt is an event of the session, after the terminal one, not of the run.
    const [event] = await deliveryEvents(gw(), sessionId, run.id, 1);
    expect(event).toMatchObject({
      run_id: null,
      level: 'info',
      meta: {
        run_id: run.id,
        attempt: 1,
        delivered: true,
        status: 200,
        error: null,
        next_attempt_ms: null,
        url_host: new URL(receiver.url(path)).host,
      },
    });
    expect(event!.seq).toBeGreaterThan(terminal.seq);
    expect(JSON.stringify(event)).not.toContain(path);
  });

  it('tries again with growing waits after 500s until delivered, each attempt an event, same id and body', async () => {
    const sessionId = await newSession(gw().api);
    const run = await createRun(gw(), sessionId, {
      input: { question: 'q' },
      flow: 'ask',
      webhook: { url: receiver.url('/flaky') },
    });
    const requests = await receiver.waitFor('/flaky', 3);
    expect(requests.every(verified)).toBe(true);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    const events = await deliveryEvents(gw(), sessionId, run.id, 3);
    expect(events.map((e) => e.meta)).toEqual([
      expect.objectContaining({ attempt: 1, delivered: false, status: 500, next_attempt_ms: 10 }),
      expect.objectContaining({ attempt: 2, delivered: false, status: 500, next_attempt_ms: 20 }),
      expect.objectContaining({ attempt: 3, delivered: true, status: 204, next_attempt_ms: null }),
    ]);
    expect(events.map((e) => e.level)).toEqual(['warn', 'warn', 'info']);
  });

  it('gives up after WEBHOOK_RETRY_FOR_MS, and takes a redirect as a failure without following it', async () => {
    const sessionId = await newSession(gw().api);
    const down = await createRun(gw(), sessionId, {
      input: { question: 'q' },
      flow: 'ask',
      webhook: { url: receiver.url('/down') },
    });
    await runToEnd(gw().api, sessionId, down.id);
    const moved = await createRun(gw(), sessionId, {
      input: { question: 'q' },
      flow: 'ask',
      webhook: { url: receiver.url('/moved') },
    });
    // The last attempt says it is the last: an error event with no next attempt.
    const last = await eventWhere(
      gw().api,
      sessionId,
      (e) => e.type === 'webhook.delivery' && e.meta.run_id === down.id && e.meta.next_attempt_ms === null,
    );
    expect(last).toMatchObject({ level: 'error', meta: { delivered: false, status: 503 } });
    const attempts = (await allEvents(gw().api, sessionId)).filter(
      (e) => e.type === 'webhook.delivery' && e.meta.run_id === down.id,
    );
    expect(attempts.map((e) => e.meta.attempt)).toEqual(attempts.map((_, i) => i + 1));
    expect(receiver.at('/down')).toHaveLength(attempts.length);
    const [redirected] = await deliveryEvents(gw(), sessionId, moved.id, 1);
    expect(redirected!.meta).toMatchObject({ delivered: false, status: 302 });
  });

  it('a receiver that never answers delays neither the run nor the next run', async () => {
    const sessionId = await newSession(gw().api);
    const held = await createRun(gw(), sessionId, {
      input: { question: 'q' },
      flow: 'ask',
      webhook: { url: receiver.url('/hang') },
    });
    await receiver.waitFor('/hang', 1);
    // The receiver holds the first attempt open: the run has ended all the same, and its slot (the only
    // one) and its session are free for the next run.
    expect((await gw().call('GET', `/v1/sessions/${sessionId}/runs/${held.id}`)).body).toMatchObject({
      status: 'completed',
    });
    const next = await createRun(gw(), sessionId, { input: { question: 'q2' }, flow: 'ask' });
    expect((await runToEnd(gw().api, sessionId, next.id)).status).toBe('completed');
    const other = await newSession(gw().api);
    const elsewhere = await createRun(gw(), other, { input: { question: 'q3' }, flow: 'ask' });
    expect((await runToEnd(gw().api, other, elsewhere.id)).status).toBe('completed');
    expect(receiver.hanging.some((response) => !response.writableEnded)).toBe(true);
    for (const response of receiver.hanging) response.destroy();
  });

  it.each([
    ['ftp://127.0.0.1/hook', /not ftp:/],
    ['not a url', /http:\/\/ or https:\/\/ URL/],
    ['https://user:secret@127.0.0.1/hook', /user name or password/],
  ])('refuses %s with a 400 naming webhook.url, storing nothing', async (url, why) => {
    const sessionId = await newSession(gw().api);
    const reply = await gw().call('POST', `/v1/sessions/${sessionId}/runs`, {
      json: { input: { question: 'q' }, flow: 'ask', webhook: { url } },
    });
    expectProblem(reply, 400, 'INVALID_ARGUMENT', why);
    expect(problemFields(reply)).toEqual(['webhook.url']);
    const runs = await gw().call('GET', `/v1/sessions/${sessionId}/runs`);
    expect((runs.body as { items: Run[] }).items).toEqual([]);
    expect((await allEvents(gw().api, sessionId)).map((e) => e.type)).toEqual(['session.created']);
  });

  it('schema-invalid webhooks are 400 naming the field', async () => {
    const sessionId = await newSession(gw().api);
    for (const [webhook, field] of [
      [{}, 'body.webhook.url'],
      [{ url: '' }, 'body.webhook.url'],
      [{ url: 'https://example.com/', secret: 'x' }, 'body.webhook.secret'],
      ['https://example.com/', 'body.webhook'],
    ] as const) {
      const reply = await gw().call('POST', `/v1/sessions/${sessionId}/runs`, {
        json: { input: { question: 'q' }, webhook },
      });
      expectProblem(reply, 400, 'INVALID_ARGUMENT');
      expect(problemFields(reply)).toContain(field);
    }
  });
});

describe('completion webhooks to private addresses', () => {
  const gw = useGateway({ PLUGINS: TEST_PLUGINS, WEBHOOK_SECRET: SECRET });

  it.each([
    'http://127.0.0.1:9/hook',
    'http://localhost:9/hook',
    'http://[::1]:9/hook',
    'http://[::ffff:127.0.0.1]:9/hook',
    'http://10.0.0.8/hook',
    'http://192.168.1.20/hook',
    'http://172.20.0.1/hook',
    'http://169.254.169.254/latest/meta-data/',
  ])('refuses %s with a 400 naming webhook.url', async (url) => {
    const sessionId = await newSession(gw().api);
    const reply = await gw().call('POST', `/v1/sessions/${sessionId}/runs`, {
      json: { input: { question: 'q' }, flow: 'ask', webhook: { url } },
    });
    expectProblem(reply, 400, 'INVALID_ARGUMENT', /loopback, private or link-local/);
    expect(problemFields(reply)).toEqual(['webhook.url']);
    const runs = await gw().call('GET', `/v1/sessions/${sessionId}/runs`);
    expect((runs.body as { items: Run[] }).items).toEqual([]);
  });

  it('POST /v1/runs refuses it before making a session', async () => {
    const count = async () =>
      ((await gw().call('GET', '/v1/sessions?limit=100')).body as { items: unknown[] }).items.length;
    const before = await count();
    const reply = await gw().call('POST', '/v1/runs', {
      json: { input: { question: 'q' }, flow: 'ask', webhook: { url: 'http://localhost:9/hook' } },
    });
    expectProblem(reply, 400, 'INVALID_ARGUMENT');
    expect(problemFields(reply)).toEqual(['webhook.url']);
    expect(await count()).toBe(before);
  });
});

describe('completion webhooks without WEBHOOK_SECRET', () => {
  const gw = useGateway({ PLUGINS: TEST_PLUGINS });

  it('refuses a run with a webhook, naming webhook.url and the setting', async () => {
    const sessionId = await newSession(gw().api);
    const reply = await gw().call('POST', `/v1/sessions/${sessionId}/runs`, {
      json: { input: { question: 'q' }, webhook: { url: 'https://hooks.example.com/' } },
    });
    expectProblem(reply, 400, 'INVALID_ARGUMENT', /WEBHOOK_SECRET/);
    expect(problemFields(reply)).toEqual(['webhook.url']);
  });
});
