import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import { steppedStream } from '../../unit/llm/fake-openai-server.ts';
import { STREAMING_PLUGINS_MODULE } from '../../fixtures/streaming-plugins.ts';
import { fakeOpenAi, streamed, type FakeOpenAi } from '../../unit/llm/fake-openai-server.ts';
import { CliProcess, storedEvents, usePlatform } from './cli.ts';

const PIECES = ['RxJS turns events ', 'into streams\n', 'you compose with operators.'] as const;
const WHOLE = PIECES.join('');
/** The columns a `message` line starts with when piped: type, then role. */
const LEAD = 'message            assistant            ';

describe('tributary run --follow, with an answer the model streams (stream: true against a fake model)', () => {
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = await fakeOpenAi();
  });
  afterAll(async () => {
    await fake.close();
  });
  const gw = usePlatform(() => ({
    PLUGINS: STREAMING_PLUGINS_MODULE,
    LLM_URL: fake.url,
    LLM_MODEL: 'fake-model',
  }));
  const follow = (...extra: string[]) =>
    new CliProcess([
      '--url',
      gw().url,
      'run',
      'What is RxJS?',
      '--flow',
      'streamed_answer',
      '--follow',
      ...extra,
    ]);

  it('writes each piece as it comes, on one paragraph, and does not print the text again at the end', async () => {
    const stream = steppedStream(PIECES);
    fake.replies.push(stream.reply);
    const cli = follow();
    // The first piece is out while the model still holds the rest: written as it came, line not ended.
    await cli.waitFor(new RegExp(`^${LEAD}RxJS turns events $`, 'm'));
    stream.next();
    await cli.waitFor(/RxJS turns events into streams\n$/);
    stream.next();
    const { code, stdout, stderr } = await cli.exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`\n${LEAD}${WHOLE}\ntool.completed `);
    expect(stdout.split('you compose with operators.')).toHaveLength(2); // once: not again after the run's end
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^run\.completed\s+run completed/);
  });

  it('Ctrl-C mid-answer: the text so far ends with "(incomplete: run cancelled)"', async () => {
    const stream = steppedStream(PIECES);
    fake.replies.push(stream.reply);
    const cli = follow();
    await cli.waitFor(new RegExp(`^${LEAD}RxJS turns events $`, 'm'));
    cli.kill('SIGINT');
    const { code, stdout } = await cli.exited;
    expect(code).toBe(130);
    expect(stdout).toContain(`${LEAD}RxJS turns events \n(incomplete: run cancelled)\n`);
    expect(stdout).not.toContain('into streams');
  });

  it('in a terminal (pty): the text comes under the spinner, once, and the task list goes on after it', async () => {
    const stream = steppedStream(PIECES);
    fake.replies.push(stream.reply);
    const cli = new CliProcess(
      ['--url', gw().url, 'run', 'What is RxJS?', '--flow', 'streamed_answer', '--follow'],
      { tty: true },
    );
    await cli.waitFor(/RxJS turns events $/);
    stream.next();
    await cli.waitFor(/into streams\r\n$/);
    stream.next();
    const { code, stdout } = await cli.exited;
    expect(code).toBe(0);
    // The terminal's own line ends; nothing (no spinner frame) between the pieces.
    expect(stdout).toContain(`RxJS turns events into streams\r\n${PIECES[2]}\r\n`);
    expect(stdout.split(PIECES[2])).toHaveLength(2);
    expect(stdout).toMatch(/✔ run completed/);
  });

  it('--json prints every event as it is, one per line: the deltas, then the closing message they join into', async () => {
    fake.replies.push(streamed([...PIECES]));
    const { code, stdout } = await follow('--json').exited;
    expect(code).toBe(0);
    const events = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as SessionEvent);
    const deltas = events.filter((event) => event.type === 'message.delta');
    const closing = events.find((event) => event.type === 'message')!;
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.map((event) => event.meta.text).join('')).toBe(WHOLE);
    expect(closing).toMatchObject({ message: WHOLE, meta: { message_id: deltas[0]!.meta.message_id } });
    const stored = (await storedEvents(gw().api, events[0]!.session_id)).filter(
      (event) => event.run_id === events[0]!.run_id,
    );
    expect(events).toEqual(stored);
  });
});
