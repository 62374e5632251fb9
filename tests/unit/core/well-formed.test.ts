import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../core/index.ts';
import { wellFormed } from '../../../core/events/well-formed.ts';
import { startRuntime } from '../../fixtures/runtime.ts';

describe('wellFormed', () => {
  it('replaces lone surrogates, high or low, in strings, keys and nested values by U+FFFD', () => {
    expect(wellFormed('a\ud800b')).toBe('a\ufffdb');
    expect(wellFormed('\udc00')).toBe('\ufffd');
    expect(wellFormed('end\ud83d')).toBe('end\ufffd');
    expect(wellFormed({ 'k\ud800': ['x\udc00', { deep: '\ud800\ud800' }], n: 1, none: null })).toEqual({
      'k\ufffd': ['x\ufffd', { deep: '\ufffd\ufffd' }],
      n: 1,
      none: null,
    });
  });

  it('returns well-formed values as they are, without a copy (a pair is no lone surrogate)', () => {
    const value = { text: 'a\ud83d\ude00b', list: ['ok', { deep: 'é' }], n: 2, flag: true };
    expect(wellFormed(value)).toBe(value);
    expect(wellFormed(value.list)).toBe(value.list);
    expect(wellFormed('\ud83d\ude00')).toBe('\ud83d\ude00');
  });

  it('copies only what changes and leaves its input alone; an own "__proto__" key stays a property', () => {
    const same = { a: 1 };
    const input = { first: same, second: 'b\ud800', list: [same, 'c\udc00'] };
    const out = wellFormed(input);
    expect(input.second).toBe('b\ud800');
    expect(out).toEqual({ first: { a: 1 }, second: 'b\ufffd', list: [{ a: 1 }, 'c\ufffd'] });
    expect(out.first).toBe(same);
    expect(out.list[0]).toBe(same);
    const parsed = JSON.parse('{"ok": 1, "__proto__": {"x": "\\ud800"}}') as Record<string, unknown>;
    const fixed = wellFormed(parsed);
    expect(Object.getPrototypeOf(fixed)).toBe(Object.prototype);
    expect(JSON.stringify(fixed)).toBe('{"ok":1,"__proto__":{"x":"\ufffd"}}');
  });
});

describe('events are built well-formed', () => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.shutdown();
    runtime = undefined;
  });

  it('message, step, tool and meta of an event committed through the log, published and stored alike', async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create();
    const [published] = await runtime.log.commit({
      session_id: session.id,
      trace_id: session.trace_id,
      events: [
        {
          type: 'progress',
          message: 'm\ud800',
          step: 's\udc00',
          tool: 't\ud800',
          meta: { 'k\ud800': 'v\ud800' },
        },
      ],
    });
    expect(published).toMatchObject({
      message: 'm\ufffd',
      step: 's\ufffd',
      tool: 't\ufffd',
      meta: { 'k\ufffd': 'v\ufffd' },
    });
    const [stored] = await runtime.store.listEvents(session.id, { after: 1, limit: 1 });
    expect(stored).toEqual(published);
  });
});
