import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { fakeOpenAi, streamed } from '../unit/llm/fake-openai-server.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let dir: string | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `npm start`'s entry in a child process; resolves once it logs that it runs. */
async function startMain(env: Record<string, string>) {
  // Port 0 everywhere: a port another process holds must not fail this test; the log says where it listens.
  const child = spawn(process.execPath, ['--import', 'tsx', 'platform/main.ts'], {
    cwd: repo,
    env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', DEMO_RAG_PORT: '0', DEMO_EXAM_PORT: '0', ...env },
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
  const stop = () => {
    child.kill('SIGTERM');
    return exited;
  };
  return { running, url: String(running.url), lines, stop };
}

it('`npm start`’s entry boots on the SQLite default and stops gracefully on SIGTERM', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-start-'));
  const path = join(dir, 'nested', 'tributary.db');
  const { running, url, lines, stop } = await startMain({ SQLITE_PATH: path });
  expect(running).toMatchObject({ store: 'sqlite', path, concurrency: 3 });
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(url).not.toMatch(/:0$/);
  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });

  expect(await stop()).toBe(0);
  expect(existsSync(path)).toBe(true);
  expect(lines.some((line) => line.includes('shutting down'))).toBe(true);
});

it('`npm start` with LLM_URL answers with the model, streamed, and never logs the key', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-start-'));
  const fake = await fakeOpenAi();
  cleanups.push(() => fake.close());
  const key = 'sk-start-test-0123456789';
  // The planner asks first (JSON mode; its unusable reply makes it fall back to its rules), then the answer.
  fake.replies.push(
    streamed(['not a plan']),
    streamed(['An Observable ', 'is a stream of values.'], [40, 2]),
  );
  const { url, lines, stop } = await startMain({
    SQLITE_PATH: join(dir, 't.db'),
    LLM_URL: fake.url,
    LLM_MODEL: 'local-model',
    LLM_API_KEY: key,
  });
  const ask = await fetch(`${url}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ flow: 'answer', input: { question: 'What is an Observable?' } }),
  });
  expect(ask.status).toBe(202);
  const run = (await ask.json()) as { id: string; session_id: string };
  // Read over REST until the run ended (an SSE stream stays open past it).
  let events: Array<{ type: string; message: string; meta: Record<string, unknown> }> = [];
  await expect
    .poll(
      async () => {
        const page = await fetch(`${url}/v1/sessions/${run.session_id}/events?limit=1000`);
        events = ((await page.json()) as { items: typeof events }).items;
        return events.at(-1)?.type;
      },
      { timeout: 15_000, interval: 50 },
    )
    .toBe('run.completed');
  const deltas = events.filter((e) => e.type === 'message.delta').map((e) => e.meta.text);
  expect(deltas.join('')).toBe('An Observable is a stream of values.');
  expect(events.filter((e) => e.type === 'message').at(-1)?.message).toBe(
    'An Observable is a stream of values.',
  );
  expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${key}`);
  expect(fake.requests.at(-1)?.body.model).toBe('local-model');
  expect(await stop()).toBe(0);
  expect(lines.join('\n')).not.toContain(key);
});
