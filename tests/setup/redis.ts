import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis the tests use: REDIS_URL, else the one on 127.0.0.1:6379, else one started here. */
    redisUrl: string;
  }
}

/**
 * Vitest global setup: makes sure a Redis answers for the tests that need one. `.ci/run` starts one on
 * 127.0.0.1:6379; a developer machine without one gets a throwaway `redis-server` (from PATH, no
 * persistence) on a free port for the length of the run. Each test still uses a key prefix of its own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.REDIS_URL;
  if (given || (await answers(6379))) {
    project.provide('redisUrl', given ?? 'redis://127.0.0.1:6379');
    return async () => undefined;
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tributary-redis-'));
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_resolve, reject) =>
    server.once('error', (error) =>
      reject(
        new Error(
          `tests need Redis: none answers on 127.0.0.1:6379 and redis-server could not start (${error.message})`,
        ),
      ),
    ),
  );
  await Promise.race([untilAnswers(port), failed]);
  project.provide('redisUrl', `redis://127.0.0.1:${port}`);
  return async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function untilAnswers(port: number): Promise<void> {
  while (!(await answers(port))) await new Promise((resolve) => setTimeout(resolve, 20));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
