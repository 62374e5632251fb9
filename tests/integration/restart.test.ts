import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Runtime } from '../../core/index.ts';
import { SqliteStore } from '../../stores/index.ts';
import { startRuntime, terminalOf } from '../fixtures/runtime.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let runtime: Runtime | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
});
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the crash child until it reports its running run, then kills it with SIGKILL. */
function crashMidRun(path: string): Promise<{ session_id: string; run_id: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/crash-child.ts'], {
      cwd: repo,
      env: { ...process.env, SQLITE_PATH: path },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        child.kill('SIGKILL');
        child.on('exit', () => resolve(JSON.parse(line) as { session_id: string; run_id: string }));
      }
    });
    child.on('error', reject);
    child.on(
      'exit',
      (code, signal) => signal !== 'SIGKILL' && reject(new Error(`crash child exited early: ${code}`)),
    );
  });
}

describe('restart with the SQLite store', () => {
  it('after a crash: the running run is failed as interrupted with its event, nothing else is lost, seq goes on', async () => {
    const path = join(dir, 'tributary.db');
    const { session_id, run_id } = await crashMidRun(path);

    runtime = await startRuntime({}, { store: SqliteStore.open({ path }) });
    const run = await runtime.runs.get(session_id, run_id);
    expect(run).toMatchObject({
      status: 'failed',
      error: { code: 'RUN_INTERRUPTED', reason: 'interrupted' },
    });
    const events = await runtime.store.listEvents(session_id, { after: 0, limit: 1000 });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: 'run.failed', run_id, meta: { reason: 'interrupted' } });
    expect(events.filter((e) => e.type === 'run.completed')).toHaveLength(1);
    const messages = await runtime.store.listMessages(session_id);
    expect(messages.map((m) => m.content)).toEqual(['first', 'answer to first', 'never finishes']);
    const session = await runtime.sessions.get(session_id);
    expect(session).toMatchObject({ active_run_id: null, run_count: 2, last_seq: events.length });

    const again = await runtime.runs.create(session_id, { input: { question: 'after restart' } });
    await terminalOf(runtime, session_id, again.id);
    const after = await runtime.store.listEvents(session_id, { after: events.length, limit: 1000 });
    expect(after[0]?.seq).toBe(events.length + 1);
    expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => events.length + 1 + i));
  });

  it('after a graceful stop: sessions, runs, events, messages and checkpoints are all there', async () => {
    const path = join(dir, 'tributary.db');
    const first = await startRuntime({}, { store: SqliteStore.open({ path }) });
    const session = await first.sessions.create({ user_id: 'ann', metadata: { course: 'rxjs' } });
    const run = await first.runs.create(session.id, { input: { question: 'kept' } });
    await terminalOf(first, session.id, run.id);
    await first.checkpoints.save(session.id, { step: 2 }, { label: 'mid' });
    const before = await first.store.listEvents(session.id, { after: 0, limit: 1000 });
    await first.shutdown();

    runtime = await startRuntime({}, { store: SqliteStore.open({ path }) });
    expect(await runtime.sessions.get(session.id)).toMatchObject({
      user_id: 'ann',
      metadata: { course: 'rxjs' },
      run_count: 1,
    });
    expect(await runtime.runs.get(session.id, run.id)).toMatchObject({
      status: 'completed',
      result: { answer: 'answer to kept' },
    });
    expect(await runtime.store.listEvents(session.id, { after: 0, limit: 1000 })).toEqual(before);
    expect((await runtime.store.listMessages(session.id)).map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(await runtime.checkpoints.latest(session.id)).toMatchObject({ label: 'mid', state: { step: 2 } });
  });

  it('refuses a corrupted database file with a clear error and leaves the file as it was', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs');
    const path = join(dir, 'broken.db');
    const junk = Buffer.from('this is not a database, just some bytes '.repeat(200));
    writeFileSync(path, junk);
    expect(() => SqliteStore.open({ path })).toThrow(
      expect.objectContaining({ code: 'STORE_CORRUPT' }) as Error,
    );
    expect(readFileSync(path).equals(junk)).toBe(true);
  });
});
