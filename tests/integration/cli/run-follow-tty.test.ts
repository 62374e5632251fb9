import { describe, expect, it } from 'vitest';
import { CliProcess, FAKE_PLUGINS, runStatus, storedEvents, usePlatform, UUID } from './cli.ts';

/** Ctrl-C as the terminal sends it: the byte the line discipline turns into SIGINT. */
const CTRL_C = '\u0003';

describe('tributary run --follow in a real terminal (pty)', () => {
  const gw = usePlatform({ PLUGINS: FAKE_PLUGINS });

  it('the first Ctrl-C typed into the terminal cancels the run, which ends cancelled, and exits 130', async () => {
    const follow = new CliProcess(
      [
        '--url',
        gw().url,
        'run',
        'a slow question',
        '--flow',
        'ask',
        '--input',
        // Long enough to be cancelled, short enough that a lost Ctrl-C shows as a completed run (exit 0)
        // rather than as a test timeout.
        '{"delayMs": 8000}',
        '--follow',
      ],
      { tty: true },
    );
    // The spinner names the tool in progress: the run is under way, so there is something to cancel.
    await follow.waitFor(/› lookup/);
    follow.type(CTRL_C);
    const { code, stdout } = await follow.exited;

    const [, runId, sessionId] = stdout.match(
      new RegExp(`run (${UUID.source}) in session (${UUID.source}) \\(flow ask\\)`),
    )!;
    expect(await runStatus(gw().api, sessionId!, runId!)).toBe('cancelled');
    expect(code).toBe(130);
    // The task list (not the plain lines): the terminal really was a terminal to the CLI.
    expect(stdout).toMatch(/⚠ run cancelled/);
    const last = (await storedEvents(gw().api, sessionId!)).at(-1)!;
    expect(last).toMatchObject({ type: 'run.cancelled', run_id: runId });
  });
});
