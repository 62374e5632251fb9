import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

it('`npm start`’s entry boots on the SQLite default and stops gracefully on SIGTERM', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-start-'));
  const path = join(dir, 'nested', 'tributary.db');
  const child = spawn(process.execPath, ['--import', 'tsx', 'platform/main.ts'], {
    cwd: repo,
    env: { ...process.env, SQLITE_PATH: path, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      if (lines.some((line) => line.includes('tributary running'))) resolve();
    });
    child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(existsSync(path)).toBe(true);
  const started = JSON.parse(lines.find((line) => line.includes('tributary running'))!) as Record<
    string,
    unknown
  >;
  expect(started).toMatchObject({ store: 'sqlite', path, concurrency: 3 });
  expect(lines.some((line) => line.includes('shutting down'))).toBe(true);
});
