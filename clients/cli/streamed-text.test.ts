import { describe, expect, it } from 'vitest';
import { createColors } from './colors.ts';
import type { CliIo } from './cli-io.ts';
import { lineProgress } from './line-progress.ts';
import { streamedText } from './streamed-text.ts';
import { testDelta, testEvent } from './test-events.ts';

const event = testEvent;
const delta = testDelta;
const closing = (text: string, meta: Record<string, unknown> = {}) =>
  event('message', { message: text, meta: { message_id: 'm1', role: 'assistant', ...meta } });

describe('streamedText', () => {
  it('writes each piece as it comes, on one paragraph, and the closing message only ends it', () => {
    let out = '';
    const text = streamedText((piece) => (out += piece), { lead: () => '> ' });
    expect(text.take(delta('RxJS '))).toBe(true);
    expect(out).toBe('> RxJS ');
    text.take(delta('is reactive'));
    expect(out).toBe('> RxJS is reactive');
    expect(text.take(closing('RxJS is reactive'))).toBe(true);
    expect(out).toBe('> RxJS is reactive\n');
  });

  it('says "(incomplete: …)" when the closing message was cut short', () => {
    let out = '';
    const text = streamedText((piece) => (out += piece));
    text.take(delta('half'));
    text.take(closing('half', { incomplete: true, reason: 'cancelled' }));
    expect(out).toBe('half\n(incomplete: run cancelled)\n');
    out = '';
    const failed = streamedText((piece) => (out += piece));
    failed.take(delta('half\n'));
    failed.take(closing('half\n', { incomplete: true, reason: 'failed' }));
    expect(out).toBe('half\n(incomplete: the model failed)\n');
  });

  it('leaves a message that did not stream, and other events, to the caller', () => {
    const text = streamedText(() => expect.fail('nothing to write'));
    expect(text.take(closing('whole text'))).toBe(false);
    expect(text.take(event('message', { message: 'no id', meta: { role: 'assistant' } }))).toBe(false);
    expect(text.take(event('tool.progress'))).toBe(false);
  });

  it('after another line broke the paragraph, the next piece leads again', () => {
    let out = '';
    const text = streamedText((piece) => (out += piece), { lead: () => '> ' });
    text.take(delta('one '));
    text.breakLine();
    out += 'tool.progress\n';
    text.take(delta('two'));
    text.take(closing('one two'));
    expect(out).toBe('> one \ntool.progress\n> two\n');
  });
});

describe('lineProgress with streamed text', () => {
  function plainLines(json: boolean) {
    const io: CliIo & { out: string } = {
      out: '',
      stdout: { write: (text: string) => (io.out += text) },
      stderr: { write: () => true },
      env: { NO_COLOR: '1' },
      cwd: '/',
      onSignal: () => () => {},
    };
    return { io, progress: lineProgress(io, createColors(io.stdout, io.env), { json }) };
  }

  it('writes the pieces after one message lead and does not repeat the text at the close', () => {
    const { io, progress } = plainLines(false);
    progress.event(event('step', { step: 'answer', tool: null, message: 'answer' }));
    progress.event(delta('RxJS '));
    expect(io.out).toBe('step               answer\nmessage            assistant            RxJS ');
    progress.event(delta('rocks'));
    progress.event(closing('RxJS rocks'));
    const end = event('run.completed', { tool: null, message: 'run completed' });
    progress.event(end);
    progress.finish(end, undefined);
    expect(io.out).toBe(
      'step               answer\nmessage            assistant            RxJS rocks\nrun.completed                           run completed\n',
    );
  });

  it('--json prints every event as it is, one per line, deltas included', () => {
    const { io, progress } = plainLines(true);
    const events = [delta('RxJS '), delta('rocks'), closing('RxJS rocks')];
    for (const each of events) progress.event(each);
    expect(
      io.out
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual(events);
  });
});
