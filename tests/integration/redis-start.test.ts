import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { freePort } from '../fixtures/own-redis.ts';

/**
 * `STORE=redis` at start: `npm start` on the shared Redis (keys under this file's own prefix), and the
 * starts that must be refused, with one clear line and a non-zero exit, before anything is written.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
// Each test starts a whole server process; a loaded 2-core machine takes seconds for each.
vi.setConfig({ testTimeout: 120_000 });

/** The key prefix of the running test: each test its own, its keys deleted after it. */
let prefix: string;
/** A password that must never be printed: the shared Redis's own, or one its `default` user accepts. */
let secret: string;
/** The shared Redis's URL with {@link secret} in it. */
let urlWithPassword: string;
let redis: Redis;
let dir: string;
/** Every process a test started, killed after it whatever happened. */
const children: ChildProcess[] = [];
/** The servers' own pids (npm's child under `npm start`, which a SIGKILL to npm would orphan). */
const servers: number[] = [];

beforeAll(() => {
  const url = new URL(inject('redisUrl'));
  // Without a password of its own, Redis's `default` user (nopass) accepts any: one goes in the URL.
  if (url.password === '') {
    url.username = 'default';
    url.password = `pw-${randomUUID()}`;
  }
  secret = decodeURIComponent(url.password);
  urlWithPassword = url.toString();
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis.quit());
beforeEach(() => {
  prefix = `tributary-test:${randomUUID()}:`;
  dir = mkdtempSync(join(tmpdir(), 'tributary-redis-start-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const pid of servers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const keys = await keysUnderPrefix();
  if (keys.length > 0) await redis.del(...keys);
  rmSync(dir, { recursive: true, force: true });
});

/** Every key under the test's prefix (SCAN, so other tests' keys are not read). */
async function keysUnderPrefix(): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found.sort();
}

interface Server {
  /** stdout, line by line, as it comes. */
  lines: string[];
  stderr: string;
  /** The exit code, once every line has been read. */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** `command` in the repo with the test's environment, `SQLITE_PATH` in the test's temp dir. */
function start(command: string, args: string[], env: Record<string, string>): Server {
  const child = spawn(command, args, {
    cwd: repo,
    env: {
      ...process.env,
      SQLITE_PATH: join(dir, 'nested', 'tributary.db'),
      PORT: '0',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '0',
      REDIS_PREFIX: prefix,
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const server: Server = {
    lines: [],
    stderr: '',
    // 'close', not 'exit': by then every line the child wrote has been read.
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
    kill: (signal) => child.kill(signal),
  };
  createInterface({ input: child.stdout }).on('line', (line) => server.lines.push(line));
  child.stderr.on('data', (chunk: Buffer) => (server.stderr += chunk.toString()));
  return server;
}

/** The start line once the server serves; rejects with its output if it exits first. */
async function running(server: Server): Promise<Record<string, unknown>> {
  let exited = false;
  void server.exited.then(() => (exited = true));
  for (;;) {
    const line = server.lines.find((l) => l.includes('tributary running'));
    if (line) {
      const started = JSON.parse(line) as Record<string, unknown>;
      servers.push(Number(started.pid));
      return started;
    }
    if (exited) throw new Error(`exited early:\n${server.lines.join('\n')}\n${server.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const npmStart = (env: Record<string, string>) => start('npm', ['start', '--silent'], env);
const gatewayEntry = (env: Record<string, string>) =>
  start(process.execPath, ['--import', 'tsx', 'platform/main.ts'], env);

describe('STORE=redis npm start', () => {
  it('serves from the Redis at REDIS_URL, keeping every key under REDIS_PREFIX, and logs no password', async () => {
    const server = npmStart({ STORE: 'redis', REDIS_URL: urlWithPassword });
    const started = await running(server);
    expect(started).toMatchObject({ store: 'redis', redis_prefix: prefix });
    expect(String(started.redis_url)).toContain('[redacted]@');
    const url = String(started.url);

    const ready = await fetch(`${url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'redis' });
    const created = await fetch(`${url}/v1/sessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: 'ann' }),
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string };

    const keys = await keysUnderPrefix();
    expect(keys).toEqual(expect.arrayContaining([`${prefix}s:${session.id}`, `${prefix}ev:${session.id}`]));
    expect(await redis.hget(`${prefix}s:${session.id}`, 'user_id')).toBe(JSON.stringify('ann'));
    const [[, fields] = ['', []]] = await redis.xrange(`${prefix}ev:${session.id}`, '-', '+', 'COUNT', 1);
    expect(fields.join(' ')).toContain('session.created');

    server.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    // The SQLite default was never opened.
    expect(existsSync(join(dir, 'nested'))).toBe(false);
    const output = `${server.lines.join('\n')}\n${server.stderr}`;
    expect(output).not.toContain(secret);
  });
});

describe('a STORE=redis start that is refused exits 1 with one line naming REDIS_URL, writing nothing', () => {
  /** Nothing in the shared Redis under the prefix, no SQLite file: the start wrote nothing. */
  async function expectNothingWritten(): Promise<void> {
    expect(await keysUnderPrefix()).toEqual([]);
    expect(existsSync(join(dir, 'nested'))).toBe(false);
  }

  it('a malformed REDIS_URL: CONFIG_INVALID, its password not shown', async () => {
    const server = gatewayEntry({ STORE: 'redis', REDIS_URL: 'redis://ann:s3cret-pw@127.0.0.1:99999' });
    expect(await server.exited).toBe(1);
    expect(server.stderr).toBe(
      'tributary: CONFIG_INVALID: REDIS_URL: expected a redis:// or rediss:// URL: ' +
        'redis[s]://[[user]:password@]host[:port][/db], got "redis://[redacted]@127.0.0.1:99999"\n',
    );
    expect(server.lines.join('\n')).not.toContain('s3cret-pw');
    await expectNothingWritten();
  });

  it('a REDIS_URL where nothing listens: STORE_UNAVAILABLE, its password not shown', async () => {
    const port = await freePort();
    const server = npmStart({ STORE: 'redis', REDIS_URL: `redis://ann:s3cret-pw@127.0.0.1:${port}` });
    expect(await server.exited).toBe(1);
    // One line, and no reconnect errors printed around it.
    expect(server.stderr).toMatch(
      new RegExp(
        `^tributary: STORE_UNAVAILABLE: REDIS_URL redis://\\[redacted\\]@127\\.0\\.0\\.1:${port} does not answer \\(.*ECONNREFUSED.*\\)\\n$`,
      ),
    );
    expect(server.lines.join('\n')).not.toContain('s3cret-pw');
    expect(server.lines.some((line) => line.includes('tributary running'))).toBe(false);
    await expectNothingWritten();
  });

  it('tributary serve says the same, with its code', async () => {
    const port = await freePort();
    const bin = fileURLToPath(new URL('../../bin/tributary.mjs', import.meta.url));
    const server = start(process.execPath, [bin, 'serve', '--port', '0'], {
      STORE: 'redis',
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(await server.exited).toBe(1);
    expect(server.stderr).toMatch(
      new RegExp(
        `^error: REDIS_URL redis://127\\.0\\.0\\.1:${port} does not answer \\(.*ECONNREFUSED.*\\) \\(STORE_UNAVAILABLE\\)\\n$`,
      ),
    );
    await expectNothingWritten();
  });

  it('startPlatform rejects and leaves nothing running: the process ends by itself, with no reconnect logs', async () => {
    const port = await freePort();
    // No process.exit here: the child ends only once the failed start has closed every handle it
    // opened (a Redis connection left reconnecting would keep it alive, and this test would time out).
    const script = `
      import { startPlatform } from './platform/platform.ts';
      startPlatform(process.env).catch((error) =>
        console.log(JSON.stringify({ code: error.code, field: error.field, message: error.message })),
      );`;
    const server = start(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      STORE: 'redis',
      REDIS_URL: `redis://127.0.0.1:${port}`,
      LOG_LEVEL: 'silent',
    });
    expect(await server.exited).toBe(0);
    expect(server.stderr).toBe('');
    expect(server.lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        code: 'STORE_UNAVAILABLE',
        field: 'REDIS_URL',
        message: expect.stringMatching(
          new RegExp(`^REDIS_URL redis://127\\.0\\.0\\.1:${port} does not answer`),
        ),
      },
    ]);
    await expectNothingWritten();
  });
});
