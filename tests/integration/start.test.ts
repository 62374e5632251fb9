import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

it('`npm start`’s entry boots on the SQLite default and stops gracefully on SIGTERM', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-start-'));
  const path = join(dir, 'nested', 'tributary.db');
  // Port 0 everywhere: a port another process holds must not fail this test; the log says where it listens.
  const child = spawn(process.execPath, ['--import', 'tsx', 'platform/main.ts'], {
    cwd: repo,
    env: {
      ...process.env,
      SQLITE_PATH: path,
      LOG_LEVEL: 'info',
      PORT: '0',
      DEMO_RAG_PORT: '0',
      DEMO_EXAM_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': by then every line the child wrote has been read.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const lines: string[] = [];
  const running = await new Promise<Record<string, unknown>>((resolve, reject) => {
    // Whole lines only: a log line can arrive split across chunks.
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line.includes('tributary running')) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    void exited.then((code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
  });
  expect(running).toMatchObject({ store: 'sqlite', path, concurrency: 3 });
  const url = String(running.url);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(url).not.toMatch(/:0$/);
  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(existsSync(path)).toBe(true);
  expect(lines.some((line) => line.includes('shutting down'))).toBe(true);
});
