import { clearLine, cursorTo, moveCursor } from 'node:readline';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import type { CliIo } from '../../../clients/cli/cli-io.ts';
import { createColors } from '../../../clients/cli/colors.ts';
import { createRunProgress } from '../../../clients/cli/create-run-progress.ts';
import { taskListProgress } from '../../../clients/cli/task-list-progress.ts';
import { testDelta, testEvent } from '../../../clients/cli/test-events.ts';
import { ansi, ESC, FAKE_PLUGINS, QUIZ_STEPS, runStatus, storedEvents, usePlatform } from './cli.ts';

/** A terminal that keeps what is written to it (ora moves the cursor through these methods). */
class FakeTerminal extends Writable {
  text = '';
  constructor(
    readonly isTTY = true,
    readonly columns = 100,
  ) {
    super({ decodeStrings: false });
  }
  override _write(chunk: unknown, _encoding: BufferEncoding, callback: () => void): void {
    this.text += String(chunk);
    callback();
  }
  cursorTo(x: number, y?: number): boolean {
    return cursorTo(this, x, y);
  }
  moveCursor(dx: number, dy: number): boolean {
    return moveCursor(this, dx, dy);
  }
  clearLine(dir: -1 | 0 | 1): boolean {
    return clearLine(this, dir);
  }
  /** What stays on screen: the escapes and the spinner frames ora redraws over left out. */
  lines(): string[] {
    return this.text
      .replace(ansi('{ESC}\\[[0-9;]*m', 'g'), '')
      .replace(ansi('{ESC}\\[[0-9;?]*[A-Za-z]', 'g'), '\n')
      .split(/[\r\n]+/)
      .filter((line) => line.trim() !== '' && !/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/.test(line));
  }
}

function ioOf(stdout: FakeTerminal, env: Record<string, string | undefined> = { NO_COLOR: '1' }): CliIo {
  return { stdout, stderr: stdout, env, cwd: process.cwd(), onSignal: () => () => {} };
}

/** Runs a flow on the live platform and returns its stored events (real ones, not made up here). */
async function eventsOfRun(
  gw: ReturnType<ReturnType<typeof usePlatform>>,
  body: { input: { question: string } & Record<string, unknown>; flow?: string },
) {
  const { data: run } = await gw.api.POST('/v1/runs', { body });
  await runStatus(gw.api, run!.session_id, run!.id);
  const events = (await storedEvents(gw.api, run!.session_id)).filter((event) => event.run_id === run!.id);
  return { run: run!, events };
}

/** Feeds a run's events to the progress as followRun does. */
function replay(
  progress: ReturnType<typeof taskListProgress>,
  run: { id: string; session_id: string; flow: string; status: string },
  events: SessionEvent[],
) {
  progress.accepted(run);
  let final: string | undefined;
  for (const event of events) {
    progress.event(event);
    if (event.type === 'message' && event.meta.role === 'assistant') final = event.message;
  }
  progress.finish(events.at(-1)!, final);
}

describe('the task list a terminal shows for a followed run', () => {
  const gw = usePlatform({ PLUGINS: FAKE_PLUGINS });

  it('is chosen on a terminal of known width, and not with --json, when piped or when the width is unknown', () => {
    const run = { id: 'r', session_id: 's', flow: 'quiz', status: 'running' };
    const shown = (terminal: FakeTerminal, json = false, env?: Record<string, string>) => {
      const progress = createRunProgress(ioOf(terminal, env), { json });
      progress.accepted(run);
      progress.stop();
      return terminal.text;
    };
    expect(shown(new FakeTerminal())).toContain(`${ESC}[?25l`); // ora hides the cursor while it spins
    const plain = 'run r running in session s (flow quiz)\n';
    expect(shown(new FakeTerminal(false))).toBe(plain);
    expect(shown(new FakeTerminal(true, 0))).toBe(plain);
    expect(shown(new FakeTerminal(), false, { NO_COLOR: '1', CI: 'true' })).toBe(plain); // as ora does: no spinner in CI
    expect(shown(new FakeTerminal(), true)).toBe('');
  });

  it('a completed quiz: ✔ for each of the six steps with its tool calls under it, then the quiz', async () => {
    const { run, events } = await eventsOfRun(gw(), { input: { question: 'Quiz me on RxJS operators' } });
    const terminal = new FakeTerminal();
    const io = ioOf(terminal);
    replay(taskListProgress(io, createColors(io.stdout, io.env), { isEnabled: true }), run, events);
    const lines = terminal.lines();
    const done = lines.filter((line) => line.startsWith('✔ ')).map((line) => line.slice(2).split('  ')[0]);
    expect(done.slice(0, -1)).toEqual(QUIZ_STEPS);
    expect(done.at(-1)).toMatch(/^run completed in \d+ m?s$/);
    const retrieval = lines.findIndex((line) => line.startsWith('✔ start_retrieval'));
    expect(lines[retrieval + 1]).toMatch(/^ {2}↳ rag_search/);
    const end = lines.findIndex((line) => line.startsWith('✔ run completed'));
    expect(lines[end + 1]).toMatch(/^Quiz: RxJS operators/);
    expect(terminal.text).not.toMatch(ansi('{ESC}\\[3\\dm')); // NO_COLOR: no colours, even on a terminal
  });

  it('a failed run: the step and the tool that failed marked ✖ in red, then the failure', async () => {
    const { run, events } = await eventsOfRun(gw(), {
      input: { question: 'will fail', fail: true },
      flow: 'ask',
    });
    const terminal = new FakeTerminal();
    const io = ioOf(terminal, {});
    replay(taskListProgress(io, createColors(io.stdout, io.env), { isEnabled: true }), run, events);
    const lines = terminal.lines();
    expect(lines).toContain('✖ start_lookup');
    expect(lines.find((line) => line.startsWith('  ✖ lookup'))).toMatch(/lookup backend refused "will fail"/);
    expect(lines.at(-1)).toMatch(/^✖ run failed: .*lookup backend refused/);
    expect(terminal.text).toMatch(ansi('{ESC}\\[31mrun failed: '));
  });

  it('streamed model text: written piece by piece with the spinner stopped, once, then "(incomplete: …)"', () => {
    const run = { id: 'r1', session_id: 's1', flow: 'ask', status: 'running' };
    const event = testEvent;
    const delta = testDelta;
    const terminal = new FakeTerminal();
    const io = ioOf(terminal);
    const progress = taskListProgress(io, createColors(io.stdout, io.env), { isEnabled: true });
    progress.accepted(run);
    progress.event(event('step', { step: 'answer', tool: null, message: 'answer' }));
    progress.event(event('tool.started'));
    progress.event(delta('RxJS '));
    const shownAfterFirst = terminal.text.length;
    expect(terminal.text.endsWith('RxJS ')).toBe(true); // on screen now, not at the end
    progress.event(delta('is '));
    progress.event(event('tool.progress', { message: 'still writing' }));
    progress.event(delta('reactive'));
    progress.event(
      event('message', {
        message: 'RxJS is reactive',
        meta: { message_id: 'm1', role: 'assistant', incomplete: true, reason: 'cancelled' },
      }),
    );
    // Nothing drew over the paragraph while it was written: the pieces follow each other as they came.
    expect(terminal.text.slice(shownAfterFirst - 'RxJS '.length)).toMatch(
      /^RxJS is reactive\n\(incomplete: run cancelled\)\n/,
    );
    const end = event('run.cancelled', { tool: null, message: 'run cancelled' });
    progress.event(end);
    progress.finish(end, undefined);
    expect(terminal.text.split('RxJS is reactive')).toHaveLength(2); // once, not again at the end
    expect(terminal.lines().slice(-2)).toEqual(['⚠ answer  (cancelled)', '⚠ run cancelled']);
  });
});
