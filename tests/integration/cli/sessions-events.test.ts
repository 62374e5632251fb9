import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import {
  cli,
  cliInProcess,
  CliProcess,
  FAKE_PLUGINS,
  runStatus,
  storedEvents,
  usePlatform,
  UUID,
} from './cli.ts';

describe('tributary sessions, events and cancel', () => {
  const gw = usePlatform({ PLUGINS: FAKE_PLUGINS, DEFAULT_FLOW: 'ask' });
  const tributary = (...args: string[]) => cli(['--url', gw().url, ...args]);

  async function newSession(body: { user_id?: string; name?: string } = {}): Promise<string> {
    const { data } = await gw().api.POST('/v1/sessions', { body });
    return data!.id;
  }

  /** Starts a run of the `ask` flow over HTTP and waits for its end unless told not to. */
  async function ask(sessionId: string, input: Record<string, unknown> = {}, wait = true) {
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: sessionId } },
      body: { input: { question: 'what is mergeMap?', ...input }, flow: 'ask' },
    });
    if (wait) await runStatus(gw().api, sessionId, run!.id);
    return run!;
  }

  it('sessions ls: a table filtered by user and state, --limit with a hint for the next page, --json', async () => {
    const ann1 = await newSession({ user_id: 'ann', name: 'rxjs revision' });
    const ann2 = await newSession({ user_id: 'ann' });
    const bob = await newSession({ user_id: 'bob' });

    const table = await tributary('sessions', 'ls', '--user', 'ann');
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual([
      'ID',
      'STATE',
      'USER',
      'AGENT',
      'RUNS',
      'LAST SEQ',
      'LAST ACTIVE',
      'NAME',
    ]);
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual([ann2, ann1]); // newest first
    expect(rows[1]).toMatch(
      new RegExp(`^${ann1}\\s+active\\s+ann\\s+-\\s+0\\s+1\\s+\\S+Z\\s+rxjs revision$`),
    );
    expect(table.stdout).not.toContain(bob);

    const page = await tributary('sessions', 'ls', '--user', 'ann', '--limit', '1');
    expect(page.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(page.stderr).toMatch(/^more: tributary sessions ls --cursor \S+/);

    await gw().api.PATCH('/v1/sessions/{session_id}', {
      params: { path: { session_id: ann1 } },
      body: { state: 'archived' },
    });
    const archived = await tributary('--json', 'sessions', 'ls', '--state', 'archived');
    expect(archived.code).toBe(0);
    const json = JSON.parse(archived.stdout) as { items: Array<{ id: string }>; next_cursor: string | null };
    expect(json.items.map((session) => session.id)).toEqual([ann1]);
    expect(json.next_cursor).toBeNull();
    expect((await tributary('sessions', 'ls', '--user', 'nobody')).stdout).toBe('no sessions\n');
  });

  it('sessions show: its fields and runs; sessions rm deletes it; unknown ids are problems with their code', async () => {
    const id = await newSession({ user_id: 'ann', name: 'to delete' });
    const run = await ask(id);

    const shown = await tributary('sessions', 'show', id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^id +${id}$`, 'm'));
    expect(shown.stdout).toMatch(/^name +to delete$/m);
    expect(shown.stdout).toMatch(/^runs +1$/m);
    expect(shown.stdout).toMatch(/^data keys +last_answer$/m);
    expect(shown.stdout).toMatch(new RegExp(`^${run.id}\\s+ask\\s+completed\\s+\\S+\\s+\\d+ ms\\s+-$`, 'm'));
    const json = JSON.parse((await tributary('sessions', 'show', id, '--json')).stdout) as {
      id: string;
      run_count: number;
    };
    expect(json).toMatchObject({ id, run_count: 1 });

    const removed = await tributary('sessions', 'rm', id);
    expect(removed).toMatchObject({ code: 0, stdout: `deleted session ${id}\n` });
    const gone = await tributary('sessions', 'show', id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`error: session ${id} not found (SESSION_NOT_FOUND)\n`);
    const again = await tributary('sessions', 'rm', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\(SESSION_NOT_FOUND\)\n$/);
    const malformed = await tributary('sessions', 'show', 'not-a-uuid');
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/^error: .*session_id.*\(INVALID_ARGUMENT\)\n$/);
  });

  it('events prints the stored log in seq order; --after n starts after n; --json gives the envelopes', async () => {
    const id = await newSession();
    await ask(id);
    const stored = await storedEvents(gw().api, id);

    const all = await tributary('events', id);
    expect(all.code).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines.map((line) => Number(line.match(/^#(\d+) /)![1]))).toEqual(stored.map((event) => event.seq));
    expect(lines[0]).toMatch(/^#1 \d\d:\d\d:\d\d\.\d{3} session\.created/);
    expect(lines.at(-1)).toMatch(/ run\.completed /);

    const after = await tributary('events', id, '--after', '3', '--json');
    expect(after.code).toBe(0);
    const events = after.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as SessionEvent);
    expect(events).toEqual(stored.filter((event) => event.seq > 3));

    const bad = await cliInProcess(['--url', gw().url, 'events', id, '--after', '-1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/option '--after <seq>' argument '-1' is invalid/);
  });

  it('events pages through a log longer than one page', async () => {
    const id = await newSession();
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'tick', ticks: 1100, everyMs: 0 }, flow: 'tick' },
    });
    expect(await runStatus(gw().api, id, run!.id)).toBe('completed');
    const { stdout, code } = await tributary('--json', 'events', id);
    expect(code).toBe(0);
    const seqs = stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as SessionEvent).seq);
    expect(seqs.length).toBeGreaterThan(1100);
    expect(seqs).toEqual(seqs.map((_seq, index) => index + 1));
  });

  it('events --follow goes on live after the stored events, with no gap or duplicate, until Ctrl-C (130)', async () => {
    const id = await newSession();
    await ask(id);
    const before = (await storedEvents(gw().api, id)).length;
    const follow = new CliProcess(['--url', gw().url, 'events', id, '--follow', '--after', '2']);
    await follow.waitFor(new RegExp(`^#${before} .*run\\.completed`, 'm'));
    const second = await ask(id, { question: 'and switchMap?' });
    const total = (await storedEvents(gw().api, id)).length;
    await follow.waitFor(new RegExp(`^#${total} .*run\\.completed`, 'm'));
    follow.kill('SIGINT');
    const { code, stdout } = await follow.exited;
    expect(code).toBe(130);
    const seqs = stdout
      .trimEnd()
      .split('\n')
      .map((line) => Number(line.match(/^#(\d+) /)![1]));
    expect(seqs).toEqual(Array.from({ length: total - 2 }, (_value, index) => index + 3));
    expect(await runStatus(gw().api, id, second.id)).toBe('completed');
  });

  it('cancel <session> cancels its active run; a finished run or none is an error', async () => {
    const id = await newSession();
    const run = await ask(id, { delayMs: 20_000 }, false);
    const cancelled = await tributary('cancel', id);
    expect(cancelled).toMatchObject({ code: 0, stdout: `run ${run.id} cancelled\n` });
    expect(await runStatus(gw().api, id, run.id)).toBe('cancelled');
    expect((await storedEvents(gw().api, id)).at(-1)).toMatchObject({
      type: 'run.cancelled',
      run_id: run.id,
    });

    const twice = await tributary('cancel', id, run.id);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toBe(`error: run ${run.id} already cancelled (RUN_FINISHED)\n`);
    const none = await tributary('cancel', id);
    // Core's rule chose (or found no) run, as for the socket `cancel` of every client.
    expect(none).toMatchObject({
      code: 1,
      stderr: `error: session ${id} has no queued or running run (RUN_NOT_FOUND)\n`,
    });

    const named = await ask(id, { delayMs: 20_000 }, false);
    const json = await tributary('--json', 'cancel', id, named.id);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: named.id, status: 'cancelled' });
    expect(named.id).toMatch(UUID);
  });
});
