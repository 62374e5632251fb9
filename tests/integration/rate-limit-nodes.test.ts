import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestPrefix } from '../fixtures/redis-prefix.ts';
import { running, spawnGateway, type ServerProcess } from '../fixtures/server-process.ts';

// Two whole gateway processes on one Redis; a loaded 2-core machine takes seconds to start each.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const redis = useTestPrefix();

const LIMIT = 5;
// A window of an hour: a slow machine never sees the window reset in the middle of a test.
const WINDOW = 3600;
/** Each test uses keys of its own, so one test's count never leaks into another's. */
const ANN = 'k3y-shared-0001';
const BOB = 'k3y-shared-0002';
const CAY = 'k3y-shared-0003';

interface Node {
  name: string;
  server: ServerProcess;
  url: string;
}

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

const nodes: Node[] = [];

async function startNode(name: string): Promise<Node> {
  const server = spawnGateway({
    STORE: 'redis',
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    PORT: '0',
    API_KEYS: `${ANN}:ann,${BOB}:bob,${CAY}:cay`,
    RATE_LIMIT: `${LIMIT}/hour`,
  });
  const node = { name, server, url: '' };
  nodes.push(node);
  node.url = (await running(server)).url;
  return node;
}

beforeAll(async () => {
  await Promise.all([startNode('A'), startNode('B')]);
});

afterAll(async () => {
  for (const { server } of nodes) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  await Promise.all(nodes.map(({ server }) => server.exited));
});

/** `GET /v1/sessions` on `node` with `key`: an operation secured by an API key, so counted. */
async function listSessions(node: Node, key: string): Promise<Reply> {
  const response = await fetch(`${node.url}/v1/sessions`, { headers: { Authorization: `Bearer ${key}` } });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the failure message.
  }
  return { status: response.status, headers: response.headers, body };
}

/** The `remaining` and `reset` of a counted reply's draft-07 headers, after checking their shape. */
function rateWindow(reply: Reply): { remaining: number; reset: number } {
  expect(reply.headers.get('ratelimit-policy')).toBe(`${LIMIT};w=${WINDOW}`);
  const header = reply.headers.get('ratelimit') ?? '';
  const match = /^limit=(\d+), remaining=(\d+), reset=(\d+)$/.exec(header);
  expect(match, `RateLimit: ${header}`).not.toBeNull();
  expect(Number(match![1])).toBe(LIMIT);
  const reset = Number(match![3]);
  expect(reset).toBeGreaterThanOrEqual(1);
  expect(reset).toBeLessThanOrEqual(WINDOW);
  return { remaining: Number(match![2]), reset };
}

function expectPassed(reply: Reply, remaining: number, what: string): void {
  expect(reply.status, `${what}: ${JSON.stringify(reply.body)}`).toBe(200);
  expect(rateWindow(reply).remaining, what).toBe(remaining);
}

function expectLimited(reply: Reply, what: string): void {
  expect(reply.status, `${what}: ${JSON.stringify(reply.body)}`).toBe(429);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({
    status: 429,
    code: 'RATE_LIMITED',
    type: 'urn:tributary:problem:rate-limited',
    detail: expect.stringMatching(new RegExp(`^more than ${LIMIT} requests in ${WINDOW} s`)) as unknown,
  });
  const { remaining, reset } = rateWindow(reply);
  expect(remaining).toBe(0);
  // The seconds until the shared window resets, the same figure as RateLimit's reset.
  expect(reply.headers.get('retry-after')).toBe(String(reset));
}

describe('RATE_LIMIT across two gateway processes sharing one key', () => {
  it('lets the key make the limit in total, alternating nodes, then refuses it on either node', async () => {
    const [a, b] = nodes as [Node, Node];
    for (let i = 0; i < LIMIT; i++) {
      const node = i % 2 === 0 ? a : b;
      expectPassed(await listSessions(node, ANN), LIMIT - 1 - i, `call ${i + 1} on ${node.name}`);
    }
    // A took 3 and B 2: a per-process count would let both go on.
    expectLimited(await listSessions(b, ANN), 'call 6 on B');
    expectLimited(await listSessions(a, ANN), 'call 7 on A');
    // Another key has a count of its own, on both nodes.
    expectPassed(await listSessions(a, BOB), LIMIT - 1, 'another key on A');
    expectPassed(await listSessions(b, BOB), LIMIT - 2, 'another key on B');
    expectLimited(await listSessions(b, ANN), 'the first key still, on B');
  });

  it('counts what one node took against the other: 3 on A and 2 on B, then B refuses', async () => {
    const [a, b] = nodes as [Node, Node];
    for (let i = 0; i < 3; i++) expectPassed(await listSessions(a, CAY), LIMIT - 1 - i, `call ${i + 1} on A`);
    for (let i = 3; i < LIMIT; i++)
      expectPassed(await listSessions(b, CAY), LIMIT - 1 - i, `call ${i + 1} on B`);
    // B has served this key only twice itself: the refusal can only come from the shared count.
    expectLimited(await listSessions(b, CAY), 'call 6 on B');
  });
});
