import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isFinished, unknownSettings, type Run, type SessionEvent } from '../../core/index.ts';
import { startPlatform } from '../../platform/platform.ts';
import { withDotEnv } from '../../platform/serve.ts';
import { TEST_PLUGINS } from './gateway/platform.ts';
import {
  running,
  spawnGateway as gatewayEntryOf,
  spawnServer as spawnProcess,
  type ServerProcess as Started,
} from '../fixtures/server-process.ts';

// Each test starts whole server processes; a loaded 2-core machine takes seconds for each.
vi.setConfig({ testTimeout: 120_000 });
let dir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-owner-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Every server a test starts is killed after it. */
function track(server: Started): Started {
  children.push(server.child);
  return server;
}
const spawnServer = (...args: Parameters<typeof spawnProcess>) => track(spawnProcess(...args));
const gatewayEntry = (env: Record<string, string>) => track(gatewayEntryOf(env));

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, {
    ...init,
    headers: { 'Content-Type': 'application/json', ...init?.headers },
  });
  return (await response.json()) as T;
}

describe('one process owns its SQLite database', () => {
  it('a second start on the same database (same or another port) exits with an error naming SQLITE_PATH and leaves the first one’s run alone', async () => {
    const path = join(dir, 'tributary.db');
    const env = { SQLITE_PATH: path, PLUGINS: TEST_PLUGINS, PORT: '0' };
    const a = gatewayEntry(env);
    const { url } = await running(a);
    const session = await json<{ id: string }>(`${url}/v1/sessions`, { method: 'POST', body: '{}' });
    const run = await json<Run>(`${url}/v1/sessions/${session.id}/runs`, {
      method: 'POST',
      body: JSON.stringify({ flow: 'tick', input: { question: 'tick', everyMs: 20 } }),
    });
    expect(run.status).toBe('running');

    // The very same command: the port is taken, so it stops before it opens the database.
    const port = new URL(url).port;
    const samePort = gatewayEntry({ ...env, PORT: port });
    expect(await samePort.exited).toBe(1);
    expect(samePort.lines.join('\n')).toMatch(/EADDRINUSE/);

    // Another port: it must not recover (fail) the running run of the first.
    const otherPort = gatewayEntry(env);
    expect(await otherPort.exited).toBe(1);
    expect(otherPort.lines.join('\n')).toContain(
      `tributary: STORE_LOCKED: SQLITE_PATH ${path} is in use by another Tributary process`,
    );

    const still = await json<Run>(`${url}/v1/sessions/${session.id}/runs/${run.id}`);
    expect(still.status).toBe('running');
    await fetch(`${url}/v1/sessions/${session.id}/runs/${run.id}/cancel`, { method: 'POST' });
    const { items } = await json<{ items: SessionEvent[] }>(
      `${url}/v1/sessions/${session.id}/events?limit=1000`,
    );
    const terminal = items.filter(
      (e) => e.run_id === run.id && /^run\.(completed|failed|cancelled)$/.test(e.type),
    );
    expect(terminal.map((e) => e.type)).toEqual(['run.cancelled']);
    expect(items.at(-1)?.type).toBe('run.cancelled');

    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    // Released with the process: the next start owns the file.
    const b = gatewayEntry(env);
    const { url: bUrl } = await running(b);
    const after = await json<Run>(`${bUrl}/v1/sessions/${session.id}/runs/${run.id}`);
    expect(isFinished(after.status) && after.status).toBe('cancelled');
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });
});

describe('stopping `npm start` by PID', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to npm reaches the server, which shuts down gracefully',
    async (signal) => {
      const npm = spawnServer('npm', ['start', '--silent'], { SQLITE_PATH: join(dir, 't.db'), PORT: '0' });
      const { pid } = await running(npm);
      expect(pid).not.toBe(npm.child.pid);
      npm.child.kill(signal);
      await npm.exited;
      // The server process itself is gone, not orphaned.
      for (;;) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(npm.lines.some((line) => line.includes('shutting down'))).toBe(true);
    },
  );
});

describe('a start refused for bad settings writes nothing', () => {
  it.each([
    [
      'DEFAULT_FLOW naming no flow',
      { DEFAULT_FLOW: 'nope' },
      /^DEFAULT_FLOW: no flow named "nope" is registered \(flows: .*auto/,
    ],
    ['a PLUGINS module that does not exist', { PLUGINS: './no/such/plugin.ts' }, /no\/such\/plugin/],
    ['a HOST that cannot be bound', { HOST: '203.0.113.77' }, /EADDRNOTAVAIL/],
    [
      'the same key twice in API_KEYS',
      { API_KEYS: 'key-00000001:ann,key-00000001:bob' },
      /^API_KEYS: one key is given twice \(to ann and bob\)/,
    ],
  ])('%s', async (_name, env, message) => {
    const path = join(dir, 'nested', 'tributary.db');
    const refused = await startPlatform({ SQLITE_PATH: path, PORT: '0', LOG_LEVEL: 'silent', ...env }).then(
      () => new Error('started'),
      (error: unknown) => error as Error,
    );
    expect(refused.message).toMatch(message);
    expect(refused.message).not.toContain('key-00000001');
    expect(existsSync(join(dir, 'nested'))).toBe(false);
  });
});

describe('.env and setting names', () => {
  it('.env in the working directory fills in what the environment does not set', () => {
    writeFileSync(join(dir, '.env'), 'SQLITE_PATH=./from-dotenv.db\nPORT=1\n# a comment\nLOG_LEVEL="warn"\n');
    expect(withDotEnv({ PORT: '0' }, join(dir, '.env'))).toMatchObject({
      SQLITE_PATH: './from-dotenv.db',
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
    expect(withDotEnv({ PORT: '0' }, join(dir, 'none.env'))).toEqual({ PORT: '0' });
  });

  it('near-miss and TRIBUTARY_ names are warned about, with the setting meant', () => {
    expect(
      unknownSettings({
        CONCURENCY_LIMIT: '8',
        SQLITE_PTH: 'x',
        TRIBUTARY_PORT: '1',
        PORT: '1',
        PATH: '/bin',
        HOSTNAME: 'vm',
        OTEL_SERVICE_NAME: 'x',
        npm_config_cache: 'x',
      }),
    ).toEqual([
      'CONCURENCY_LIMIT is not a setting (did you mean CONCURRENCY_LIMIT?); it is ignored',
      'SQLITE_PTH is not a setting (did you mean SQLITE_PATH?); it is ignored',
      'TRIBUTARY_PORT is not a setting; it is ignored',
    ]);
  });
});
