import { describe, expect, it } from 'vitest';
import { envelope, numbered } from '../../../core/events/envelope.ts';
import type { UnnumberedEvent } from '../../../core/store/session-store.ts';

const TS = '2026-01-01T00:00:00.000Z';

describe('envelope', () => {
  it.each([
    ['info for a step', { type: 'step' as const }, 'info'],
    ['error for a failed run', { type: 'run.failed' as const }, 'error'],
    ['error for a failed tool', { type: 'tool.failed' as const }, 'error'],
    ["the draft's own level", { type: 'tool.failed' as const, level: 'warn' as const }, 'warn'],
  ])('levels %s', (_, draft, level) => {
    expect(envelope('s1', null, draft, TS).level).toBe(level);
  });

  it('fills every envelope field from a bare draft, with redacted meta and well-formed text', () => {
    expect(envelope('s1', 't1', { type: 'progress' }, TS)).toEqual({
      id: expect.any(String),
      ts: TS,
      session_id: 's1',
      run_id: null,
      type: 'progress',
      step: null,
      tool: null,
      level: 'info',
      message: '',
      meta: {},
      trace_id: 't1',
    });
    const event = envelope(
      's1',
      null,
      { type: 'step', step: 'p\ud800', message: 'm\udc00', meta: { token: 'x' } },
      TS,
    );
    expect(event).toMatchObject({ step: 'p\ufffd', message: 'm\ufffd', meta: { token: '[redacted]' } });
  });

  it('gives each envelope its own id', () => {
    expect(envelope('s1', null, { type: 'step' }, TS).id).not.toBe(
      envelope('s1', null, { type: 'step' }, TS).id,
    );
  });
});

describe('numbered', () => {
  it('numbers an event, keeping envelope fields only and filling the optional ones it lacks', () => {
    const loose = { ...envelope('s1', null, { type: 'step' }, TS), stray: 'not an envelope field' };
    const { run_id: _run, step: _step, tool: _tool, trace_id: _trace, ...partial } = loose;
    const event = numbered(partial as unknown as UnnumberedEvent, 7);
    expect(event).toEqual({
      id: loose.id,
      seq: 7,
      ts: TS,
      session_id: 's1',
      run_id: null,
      type: 'step',
      step: null,
      tool: null,
      level: 'info',
      message: '',
      meta: {},
      trace_id: null,
    });
  });
});
