import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnRedis } from '../../fixtures/own-redis.ts';
import { useTestPrefix } from '../../fixtures/redis-prefix.ts';
import { connectClient, type TestClient } from '../socket/socket-client.ts';
import {
  ANN_KEY,
  API_KEYS,
  BOB_KEY,
  expectProblem,
  INTERNAL_TOKEN,
  startGateway,
  useGateway,
  type Gateway,
  type Reply,
} from './platform.ts';

// Windows of an hour: a slow machine never sees a window reset in the middle of a test.
const HOUR = 3600;

const asAnn = { headers: { Authorization: `Bearer ${ANN_KEY}` } };
const asBob = { headers: { 'X-API-Key': BOB_KEY } };

/** Asserts the draft-07 rate limit headers of a counted response. */
function expectWindow(reply: Reply, limit: number, remaining: number): void {
  expect(reply.headers.get('ratelimit-policy')).toBe(`${limit};w=${HOUR}`);
  const window = /^limit=(\d+), remaining=(\d+), reset=(\d+)$/.exec(reply.headers.get('ratelimit') ?? '');
  expect(window, `RateLimit: ${reply.headers.get('ratelimit')}`).not.toBeNull();
  expect(Number(window![1])).toBe(limit);
  expect(Number(window![2])).toBe(remaining);
  expect(Number(window![3])).toBeGreaterThanOrEqual(1);
  expect(Number(window![3])).toBeLessThanOrEqual(HOUR);
}

function expectRateLimited(reply: Reply, limit: number): void {
  expectProblem(reply, 429, 'RATE_LIMITED', new RegExp(`^more than ${limit} requests in ${HOUR} s`));
  expectWindow(reply, limit, 0);
  // When the window resets, to the second: not a generic 429 default.
  const reset = /reset=(\d+)$/.exec(reply.headers.get('ratelimit') ?? '')?.[1];
  expect(reply.headers.get('retry-after')).toBe(reset);
}

describe('RATE_LIMIT on one node (counted in memory)', () => {
  const gw = useGateway({ API_KEYS, INTERNAL_TOKEN, RATE_LIMIT: '5/hour' });

  it('refuses the 6th call of one key with 429, Retry-After and RateLimit headers; other keys go on', async () => {
    for (let i = 1; i <= 5; i++) {
      const reply = await gw().call('GET', '/v1/sessions', asAnn);
      expect(reply.status, reply.text).toBe(200);
      expectWindow(reply, 5, 5 - i);
    }
    expectRateLimited(await gw().call('GET', '/v1/sessions', asAnn), 5);
    // The key counts, however it is sent; and any operation counts.
    expectRateLimited(await gw().call('GET', '/v1/tools', { headers: { 'X-API-Key': ANN_KEY } }), 5);
    const bob = await gw().call('POST', '/v1/sessions', { ...asBob, json: {} });
    expect(bob.status, bob.text).toBe(201);
    expectWindow(bob, 5, 4);
  });

  it('never counts /healthz, /readyz, the spec, nor the internal token’s progress posts', async () => {
    for (let i = 0; i < 8; i++) {
      for (const path of ['/healthz', '/readyz', '/openapi.json']) {
        const reply = await gw().call('GET', path);
        expect(reply.status, `${path}: ${reply.text}`).toBe(200);
        expect(reply.headers.get('ratelimit')).toBeNull();
      }
    }
    // Ann is over her limit by now; progress posts come from tool backends, not from her key.
    const progress = await gw().call('POST', '/v1/progress', {
      headers: { 'X-Internal-Token': INTERNAL_TOKEN, Authorization: `Bearer ${ANN_KEY}` },
      json: { session_id: '00000000-0000-4000-8000-000000000000', step: 'x', message: 'x' },
    });
    expectProblem(progress, 404, 'SESSION_NOT_FOUND');
    expect(progress.headers.get('ratelimit')).toBeNull();
  });

  it('does not count calls refused for a missing or wrong key (401 first)', async () => {
    const reply = await gw().call('GET', '/v1/sessions', {
      headers: { Authorization: 'Bearer wrong-key-0000' },
    });
    expectProblem(reply, 401, 'UNAUTHORIZED');
    expect(reply.headers.get('ratelimit')).toBeNull();
  });
});

describe('RATE_LIMIT and Socket.IO', () => {
  const gw = useGateway({ API_KEYS, RATE_LIMIT: '3/hour' });
  const clients: TestClient[] = [];
  afterAll(() => {
    for (const client of clients) client.close();
  });

  it('counts each handshake once, in the same count as HTTP, and never the commands', async () => {
    clients.push(await connectClient(gw().url, { token: ANN_KEY }));
    for (let i = 0; i < 5; i++)
      expect(await clients[0]!.subscribe('00000000-0000-4000-8000-000000000000')).toMatchObject({
        ok: false,
        error: { code: 'SESSION_NOT_FOUND' },
      });
    // One handshake and this call: 2 of 3, whatever the 5 commands.
    expectWindow(await gw().call('GET', '/v1/flows', asAnn), 3, 1);
    clients.push(await connectClient(gw().url, { token: ANN_KEY }));
    await expect(connectClient(gw().url, { token: ANN_KEY })).rejects.toMatchObject({
      message: expect.stringMatching(/^more than 3 requests in 3600 s/),
      data: { code: 'RATE_LIMITED', retry_after: expect.any(Number) },
    });
    // The connections already open go on; another key connects.
    expect(await clients[1]!.subscribe('00000000-0000-4000-8000-000000000000')).toMatchObject({ ok: false });
    clients.push(await connectClient(gw().url, { token: BOB_KEY }));
  });
});

/** GET `path` from a given local address (any of 127.0.0.0/8 reaches a loopback server on Linux). */
function getFrom(
  url: string,
  path: string,
  localAddress: string,
): Promise<{ status: number; ratelimit?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { localAddress }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, ratelimit: res.headers.ratelimit as string | undefined }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('RATE_LIMIT on an open gateway', () => {
  const gw = useGateway({ RATE_LIMIT: '3/hour' });

  it('counts per client IP, whatever key a caller sends', async () => {
    for (const [i, key] of ['a-key-00000001', 'b-key-00000002', 'c-key-00000003'].entries()) {
      const reply = await gw().call('GET', '/v1/flows', { headers: { Authorization: `Bearer ${key}` } });
      expect(reply.status, reply.text).toBe(200);
      expectWindow(reply, 3, 2 - i);
    }
    expectRateLimited(await gw().call('GET', '/v1/flows', { headers: { 'X-API-Key': 'd-key-00000004' } }), 3);
    // Another client address has a count of its own.
    const other = await getFrom(gw().url, '/v1/flows', '127.0.0.2');
    expect(other.status).toBe(200);
    expect(other.ratelimit).toMatch(/^limit=3, remaining=2, reset=\d+$/);
  });
});

describe('RATE_LIMIT across two nodes on one Redis', () => {
  const redis = useTestPrefix();
  const LIMIT = 6;
  let nodes: Gateway[] = [];

  beforeAll(async () => {
    const env = {
      STORE: 'redis',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      API_KEYS,
      RATE_LIMIT: `${LIMIT}/hour`,
    };
    nodes = await Promise.all([startGateway(env), startGateway(env)]);
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
  });

  it('lets one key make the limit in total across both nodes, then refuses it on either', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const reply = await nodes[i % 2]!.call('GET', '/v1/sessions', asAnn);
      expect(reply.status, `call ${i + 1} on node ${i % 2}: ${reply.text}`).toBe(200);
      expectWindow(reply, LIMIT, LIMIT - 1 - i);
    }
    expectRateLimited(await nodes[0]!.call('GET', '/v1/sessions', asAnn), LIMIT);
    expectRateLimited(await nodes[1]!.call('GET', '/v1/sessions', asAnn), LIMIT);
    const bob = await nodes[1]!.call('GET', '/v1/sessions', asBob);
    expect(bob.status, bob.text).toBe(200);
    expectWindow(bob, LIMIT, LIMIT - 1);
  });

  it('keeps its counters under REDIS_PREFIX, named by a digest of the key, never the key itself', async () => {
    const counters = (await redis.keys()).filter((key) => key.startsWith(`${redis.prefix}ratelimit:`));
    expect(counters).toHaveLength(2);
    for (const key of counters) {
      expect(key).toMatch(new RegExp(`^${redis.prefix}ratelimit:key:[0-9a-f]{32}$`));
      expect(key).not.toContain(ANN_KEY);
      expect(key).not.toContain(BOB_KEY);
      expect(await redis.admin.ttl(key)).toBeGreaterThan(0);
    }
  });
});

describe('RATE_LIMIT while Redis is away', () => {
  let redis: OwnRedis | undefined;
  let node: Gateway | undefined;
  afterAll(async () => {
    await node?.close();
    await redis?.stop();
  });

  it('counts in the node’s memory instead (the insurance limiter): still limited, never a 500', async () => {
    redis = await OwnRedis.start();
    node = await startGateway({ STORE: 'redis', REDIS_URL: redis.url, API_KEYS, RATE_LIMIT: '3/hour' });
    const first = await node.call('GET', '/v1/flows', asAnn);
    expect(first.status, first.text).toBe(200);
    expectWindow(first, 3, 2);
    await redis.kill('SIGKILL');
    // `/v1/flows` reads no store: only the limiter needs Redis, and it counts here from now on.
    for (let i = 0; i < 3; i++) {
      const reply = await node.call('GET', '/v1/flows', asAnn);
      expect(reply.status, reply.text).toBe(200);
      expectWindow(reply, 3, 2 - i);
    }
    expectRateLimited(await node.call('GET', '/v1/flows', asAnn), 3);
  });
});
