import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TributaryError } from '../../../core/index.ts';
import {
  isTributaryError,
  loadConfig,
  silentLogger,
  WebhookDeliveries,
  type Run,
} from '../../../core/index.ts';
import type { EventDraft } from '../../../core/events/event.ts';
import { isFinished } from '../../../core/runs/run.ts';
import type { SessionEvent } from '../../../core/events/event.ts';
import type { WriteBatch } from '../../../core/store/session-store.ts';
import { fakePlugins } from '../../fixtures/fake-plugins.ts';
import { gate, gatePlugins } from '../../fixtures/gate-plugins.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { HeldQueue } from '../../fixtures/held-queue.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';
import { postWebhook, type PostWebhook } from '../../../core/webhooks/post-webhook.ts';
import { isInternalAddress } from '../../../core/webhooks/webhook-address.ts';
import { signWebhook, webhookKey } from '../../../core/webhooks/webhook-signature.ts';
import { checkWebhookUrl, type HostLookup } from '../../../core/webhooks/webhook-target.ts';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

/** A resolver answering from a table (a name it does not know does not resolve). */
const table =
  (answers: Record<string, string[]>): HostLookup =>
  async (host) => {
    const addresses = answers[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address }));
  };

async function refusal(url: unknown, lookup: HostLookup = table({})): Promise<TributaryError> {
  try {
    await checkWebhookUrl(url, { allowPrivate: false, lookup });
  } catch (error) {
    if (isTributaryError(error, 'INVALID_ARGUMENT')) return error;
    throw error;
  }
  throw new Error(`expected ${String(url)} to be refused`);
}

describe('isInternalAddress', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    '[::1]',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '0:0:0:0:0:ffff:c0a8:0101',
    '::127.0.0.1',
    '64:ff9b::a00:1',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isInternalAddress(address)).toBe(true);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'lets %s through',
    (address) => {
      expect(isInternalAddress(address)).toBe(false);
    },
  );
});

describe('checkWebhookUrl', () => {
  it('takes an https URL whose host resolves to public addresses only', async () => {
    const lookup = table({ 'hooks.example.com': ['93.184.215.14', '2606:4700::1111'] });
    const url = await checkWebhookUrl('https://hooks.example.com/runs?token=x', {
      allowPrivate: false,
      lookup,
    });
    expect(url.href).toBe('https://hooks.example.com/runs?token=x');
  });

  it.each([
    ['ftp://hooks.example.com/', /http:\/\/ or https:\/\/ URL, not ftp:/],
    ['file:///etc/passwd', /not file:/],
    ['not a url', /http:\/\/ or https:\/\/ URL/],
    ['', /http:\/\/ or https:\/\/ URL/],
    [42, /http:\/\/ or https:\/\/ URL/],
    [`https://hooks.example.com/${'x'.repeat(2048)}`, /at most 2048/],
    ['https://user:pw@hooks.example.com/', /user name or password/],
    ['http://127.0.0.1:8080/', /private or link-local/],
    ['http://[::1]/', /private or link-local/],
    ['http://[::ffff:127.0.0.1]/', /private or link-local/],
    ['http://169.254.169.254/latest/meta-data', /private or link-local/],
    ['http://0x7f000001/', /private or link-local/],
    ['http://2130706433/', /private or link-local/],
    ['http://internal.example.com/', /private or link-local/],
    ['http://mixed.example.com/', /private or link-local/],
    ['http://nowhere.example.com/', /does not resolve/],
  ])('refuses %s naming webhook.url', async (url, why) => {
    const lookup = table({
      'internal.example.com': ['10.1.2.3'],
      // One public and one private address: the connection could go to either.
      'mixed.example.com': ['93.184.215.14', '192.168.0.10'],
    });
    const error = await refusal(url, lookup);
    expect(error.field).toBe('webhook.url');
    expect(error.message).toMatch(/^webhook\.url: /);
    expect(error.message).toMatch(why);
  });

  it('takes private addresses with allowPrivate', async () => {
    const url = await checkWebhookUrl('http://127.0.0.1:9/x', { allowPrivate: true, lookup: table({}) });
    expect(url.port).toBe('9');
    // The scheme rule stays.
    await expect(checkWebhookUrl('ftp://127.0.0.1/', { allowPrivate: true })).rejects.toMatchObject({
      field: 'webhook.url',
    });
  });
});

describe('signWebhook', () => {
  it('signs <id>.<timestamp>.<body> with HMAC-SHA256 under the decoded whsec_ key, as v1,<base64>', () => {
    const key = webhookKey(SECRET);
    expect(key).toEqual(Buffer.alloc(32, 7));
    const body = '{"type":"run.completed"}';
    const expected = createHmac('sha256', Buffer.alloc(32, 7))
      .update(`msg_1.1764864000.${body}`)
      .digest('base64');
    expect(signWebhook(key, 'msg_1', 1764864000, body)).toBe(`v1,${expected}`);
  });

  it('matches the Standard Webhooks reference vector', () => {
    // From the Standard Webhooks spec's test suite (msg_p5jXN8AQM9LWM0D4loKWxJek, 1614265330).
    const key = webhookKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const signature = signWebhook(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});

describe('webhook settings', () => {
  it('are off by default, and parse when given', () => {
    const defaults = loadConfig({});
    expect(defaults).toMatchObject({
      WEBHOOK_SECRET: undefined,
      WEBHOOK_ALLOW_PRIVATE: false,
      WEBHOOK_TIMEOUT_MS: 10_000,
      WEBHOOK_RETRY_FIRST_MS: 1_000,
      WEBHOOK_RETRY_FOR_MS: 900_000,
    });
    const config = loadConfig({ WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true' });
    expect(config.WEBHOOK_SECRET).toEqual(Buffer.alloc(32, 7));
    expect(config.WEBHOOK_ALLOW_PRIVATE).toBe(true);
  });

  it.each([
    ['WEBHOOK_SECRET', 'not-a-whsec-secret-but-long-enough-0000'],
    ['WEBHOOK_SECRET', 'whsec_c2hvcnQ='],
    ['WEBHOOK_ALLOW_PRIVATE', 'yes'],
    ['WEBHOOK_TIMEOUT_MS', '0'],
    ['WEBHOOK_TIMEOUT_MS', '10s'],
    ['WEBHOOK_RETRY_FIRST_MS', '5'],
    ['WEBHOOK_RETRY_FOR_MS', '-1'],
  ])('%s=%s is CONFIG_INVALID naming it', (name, value) => {
    let caught: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      caught = error;
    }
    expect(isTributaryError(caught, 'CONFIG_INVALID')).toBe(true);
    const error = caught as TributaryError;
    expect(error.field).toBe(name);
    expect(error.message).toMatch(new RegExp(`^${name}: `));
    // The secret's value never shows.
    if (name === 'WEBHOOK_SECRET') expect(error.message).not.toContain(value);
  });
});

describe('WebhookDeliveries', () => {
  const run = {
    id: 'r1',
    session_id: 's1',
    status: 'completed',
    result: { ok: true },
    error: null,
    usage: { tokens_in: 1, tokens_out: 2 },
  } as unknown as Run;

  function deliveries(post: PostWebhook, settings: { retryForMs?: number; retryFirstMs?: number } = {}) {
    const recorded: EventDraft[] = [];
    const webhooks = new WebhookDeliveries({
      key: Buffer.alloc(32, 1),
      allowPrivate: false,
      timeoutMs: 1000,
      retryFirstMs: settings.retryFirstMs ?? 10,
      retryForMs: settings.retryForMs ?? 60_000,
      logger: silentLogger,
      post,
      record: async (_sessionId, _traceId, draft) => {
        recorded.push(draft);
      },
    });
    return { webhooks, recorded };
  }

  it('stops after an attempt refused for a private address (DNS rebinding), without retrying', async () => {
    let calls = 0;
    const { webhooks, recorded } = deliveries(async () => {
      calls += 1;
      return { error: 'the host resolves to a private address', refused: true };
    });
    webhooks.deliver({
      url: new URL('https://rebind.example.com/x'),
      run,
      terminal: undefined,
      traceId: null,
    });
    await webhooks.close();
    expect(calls).toBe(1);
    expect(recorded.map((e) => e.meta)).toEqual([
      expect.objectContaining({
        attempt: 1,
        delivered: false,
        next_attempt_ms: null,
        url_host: 'rebind.example.com',
      }),
    ]);
    expect(recorded[0]!.message).not.toContain('/x');
  });

  it('at shutdown drops the retry it waits for, saying so, and delivers nothing after', async () => {
    let calls = 0;
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((resolve) => (firstAttempt = resolve));
    const { webhooks, recorded } = deliveries(
      async () => {
        calls += 1;
        firstAttempt();
        return { status: 500 };
      },
      { retryFirstMs: 30_000 },
    );
    // A retry 30 s away: shutdown must not wait for it.
    webhooks.deliver({ url: new URL('https://hooks.example.com/'), run, terminal: undefined, traceId: null });
    await attempted;
    while (recorded.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await webhooks.close();
    expect(calls).toBe(1);
    expect(recorded.map((e) => e.meta?.error)).toEqual(['status 500', 'shutdown']);
    expect(webhooks.active).toBe(0);
    webhooks.deliver({ url: new URL('https://hooks.example.com/'), run, terminal: undefined, traceId: null });
    expect(webhooks.active).toBe(0);
  });

  it('posts the run with the seq of its terminal event and the Standard Webhooks headers', async () => {
    const posts: { url: URL; headers: Record<string, string>; body: string }[] = [];
    const { webhooks } = deliveries(async (url, { headers, body }) => {
      posts.push({ url, headers, body });
      return { status: 200 };
    });
    const terminal = {
      id: 'ev-1',
      seq: 9,
      ts: '2026-12-04T16:00:00.000Z',
      type: 'run.completed',
    } as never;
    webhooks.deliver({ url: new URL('https://hooks.example.com/'), run, terminal, traceId: null });
    await webhooks.close();
    const [post] = posts;
    expect(JSON.parse(post!.body)).toEqual({
      type: 'run.completed',
      timestamp: '2026-12-04T16:00:00.000Z',
      data: { run, seq: 9 },
    });
    expect(post!.headers['webhook-id']).toBe('ev-1');
    const timestamp = Number(post!.headers['webhook-timestamp']);
    expect(post!.headers['webhook-signature']).toBe(
      signWebhook(Buffer.alloc(32, 1), 'ev-1', timestamp, post!.body),
    );
  });
});

describe('postWebhook', () => {
  it('connects only to a public address unless allowPrivate: a name resolving to loopback is refused at connect time', async () => {
    const hits: string[] = [];
    const server = createServer((request, response) => {
      hits.push(request.url ?? '');
      response.writeHead(307, { location: 'http://example.com/' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const send = (url: string, allowPrivate: boolean) =>
      postWebhook(new URL(url), {
        headers: { 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(5000),
        allowPrivate,
      });
    try {
      // `localhost` passes a check made earlier only if DNS said otherwise then (rebinding): refused here.
      expect(await send(`http://localhost:${port}/a`, false)).toMatchObject({ refused: true });
      expect(await send(`http://127.0.0.1:${port}/b`, false)).toMatchObject({ refused: true });
      expect(hits).toEqual([]);
      // Allowed, it is reached, and a redirect is an answer, not followed.
      expect(await send(`http://127.0.0.1:${port}/c`, true)).toEqual({ status: 307 });
      expect(hits).toEqual(['/c']);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/** A receiver on loopback answering 204; the bodies it got. */
async function receiver() {
  const bodies: { headers: Record<string, unknown>; body: string }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      bodies.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close };
}

describe('Runs with a webhook on a cluster queue', () => {
  async function clusterRuntime(env: Record<string, string>) {
    const queue = new HeldQueue('removed');
    const store = new MemoryStore();
    const runtime = await startRuntime(env, { runQueue: queue, store });
    await runtime.runs.work();
    const session = await runtime.sessions.create({ user_id: 'ann' });
    const deliveries = async () =>
      (await store.listEvents(session.id, { after: 0, limit: 1000 })).filter(
        (event) => event.type === 'webhook.delivery',
      );
    return { queue, runtime, session, deliveries };
  }
  /** Ended after each test, in reverse: the runtime, then its receiver. */
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  /** A receiver, a runtime that signs for it, and a run of `ask` created with its webhook there. */
  async function hookedRun() {
    const hook = await receiver();
    cleanups.push(hook.close);
    const cluster = await clusterRuntime({ WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true' });
    cleanups.push(() => cluster.runtime.shutdown());
    const run = await cluster.runtime.runs.create(cluster.session.id, {
      input: { question: 'q' },
      flow: 'ask',
      webhook: { url: hook.url },
    });
    return { ...cluster, hook, run };
  }
  const context = () => ({
    attempt: 1,
    signal: new AbortController().signal,
    stopping: new AbortController().signal,
  });

  it('carry the checked URL in the job; the worker that ends the run delivers it once, with the terminal seq', async () => {
    const { queue, runtime, session, deliveries, hook, run } = await hookedRun();
    const job = queue.jobs.find((held) => held.runId === run.id)!;
    expect(job.webhook).toBe(hook.url);
    expect(await queue.handler!.execute(job, context())).toBe('ended');
    await runtime.webhooks!.close();
    expect(hook.bodies).toHaveLength(1);
    const terminal = await terminalOf(runtime, session.id, run.id);
    const body = JSON.parse(hook.bodies[0]!.body) as { type: string; data: { seq: number } };
    expect(body).toMatchObject({ type: 'run.completed', data: { seq: terminal.seq } });
    expect(hook.bodies[0]!.headers['webhook-id']).toBe(terminal.id);
    expect(await deliveries()).toMatchObject([{ meta: { run_id: run.id, delivered: true } }]);
  });

  it('is delivered by the process that cancels a run that never started', async () => {
    const { runtime, session, deliveries, hook, run } = await hookedRun();
    await runtime.runs.cancel(session.id, run.id, 'stop');
    await runtime.webhooks!.close();
    expect(hook.bodies.map(({ body }) => (JSON.parse(body) as { type: string }).type)).toEqual([
      'run.cancelled',
    ]);
    expect(await deliveries()).toMatchObject([{ meta: { run_id: run.id, delivered: true } }]);
  });

  it('is delivered by the process that fails the run of a lost worker', async () => {
    const { queue, runtime, session, deliveries, hook, run } = await hookedRun();
    await queue.handler!.lost(queue.jobs[0]!, 'its worker was lost before the run ended');
    await runtime.webhooks!.close();
    const terminal = await terminalOf(runtime, session.id, run.id);
    expect(terminal.type).toBe('run.failed');
    expect(hook.bodies.map(({ body }) => JSON.parse(body) as unknown)).toMatchObject([
      { type: 'run.failed', data: { seq: terminal.seq, run: { error: { code: 'RUN_INTERRUPTED' } } } },
    ]);
    expect(await deliveries()).toMatchObject([{ meta: { run_id: run.id, delivered: true } }]);
  });

  it('on a worker without WEBHOOK_SECRET: the run ends, and a webhook.delivery event says it was not sent', async () => {
    const { queue, runtime, session, deliveries } = await clusterRuntime({});
    try {
      const run = await runtime.runs.create(session.id, { input: { question: 'q' }, flow: 'ask' });
      const job = { ...queue.jobs[0]!, webhook: 'https://hooks.example.com/runs' };
      expect(await queue.handler!.execute(job, context())).toBe('ended');
      expect(await runtime.runs.get(session.id, run.id)).toMatchObject({ status: 'completed' });
      const [event, ...more] = await deliveries();
      expect(more).toEqual([]);
      expect(event).toMatchObject({
        level: 'error',
        run_id: null,
        meta: {
          run_id: run.id,
          delivered: false,
          attempt: 0,
          error: expect.stringMatching(/WEBHOOK_SECRET/) as unknown,
        },
      });
      // After the run's terminal event.
      expect(event!.seq).toBeGreaterThan((await terminalOf(runtime, session.id, run.id)).seq);
    } finally {
      await runtime.shutdown();
    }
  });

  it('is not sent by a worker presumed lost whose late end the store skips: the run was ended elsewhere', async () => {
    const hook = await receiver();
    // As the Redis store does: a batch carrying a run it has stored ended is skipped whole.
    class FinalRunsStore extends MemoryStore {
      override async writeMany(batches: readonly WriteBatch[]) {
        const out: SessionEvent[][] = [];
        for (const batch of batches) {
          const stored = await Promise.all(
            (batch.runs ?? []).map((r) => this.getRun(batch.session_id, r.id)),
          );
          out.push(
            stored.some((r) => r && isFinished(r.status)) ? [] : ((await super.writeMany([batch]))[0] ?? []),
          );
        }
        return out;
      }
    }
    const queue = new HeldQueue('removed');
    const store = new FinalRunsStore();
    const runtime = await startRuntime(
      { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true' },
      { runQueue: queue, store, plugins: [...fakePlugins, ...gatePlugins] },
    );
    try {
      await runtime.runs.work();
      const session = await runtime.sessions.create({ user_id: 'ann' });
      const held = gate(`late-${Date.now()}`);
      const run = await runtime.runs.create(session.id, {
        flow: 'gated',
        input: { question: 'q', gate: held.name },
        webhook: { url: hook.url },
      });
      const executed = queue.handler!.execute(queue.jobs[0]!, context());
      await held.reached;
      // Another process took the run over and ended it meanwhile (its webhook is its own to send).
      const stored = (await store.getRun(session.id, run.id))!;
      await store.write({
        session_id: session.id,
        runs: [{ ...stored, status: 'failed', finished_at: new Date().toISOString() }],
      });
      held.open();
      expect(await executed).toBe('ended');
      await runtime.webhooks!.close();
      expect(hook.bodies).toEqual([]);
    } finally {
      await runtime.shutdown();
      await hook.close();
    }
  });
});
