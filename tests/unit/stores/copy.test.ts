import { describe, expect, it } from 'vitest';
import { copyData, deepFreeze, flat } from '../../../core/store/copy.ts';

describe('copyData', () => {
  it('copies plain JSON-like data deeply, as structuredClone does', () => {
    const value = {
      a: 1,
      s: 'x',
      n: null,
      u: undefined,
      list: [1, { b: [2, 3] }],
      nested: { c: { d: true } },
    };
    const copy = copyData(value);
    expect(copy).toEqual(structuredClone(value));
    expect(Object.keys(copy)).toEqual(Object.keys(value));
    expect(copy).not.toBe(value);
    expect(copy.list[1]).not.toBe(value.list[1]);
    expect(copy.nested.c).not.toBe(value.nested.c);
  });

  it('hands other objects to structuredClone (Date, Map), and copies a null-prototype object as a plain one', () => {
    const date = new Date(0);
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 1 });
    const copy = copyData({ date, map: new Map([['k', 1]]), bare });
    expect(copy.date).toBeInstanceOf(Date);
    expect(copy.date).not.toBe(date);
    expect(copy.date.getTime()).toBe(0);
    expect(copy.map.get('k')).toBe(1);
    expect(copy.bare).toEqual({ k: 1 });
  });

  it('keeps an own __proto__ key a key', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    const copy = copyData(value);
    expect(Object.keys(copy)).toEqual(['__proto__', 'ok']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('throws DataCloneError for a function, like structuredClone', () => {
    expect(() => copyData({ f: () => 1 })).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
  });

  it('copies a circular value through structuredClone, keeping the cycle', () => {
    const value: { self?: unknown; n: number } = { n: 1 };
    value.self = value;
    const copy = copyData(value);
    expect(copy.self).toBe(copy);
    expect(copy).not.toBe(value);
  });
});

describe('deepFreeze and flat', () => {
  it('freezes a value and everything inside it', () => {
    const value = deepFreeze({ a: { b: [{ c: 1 }] } });
    expect(Object.isFrozen(value.a.b[0])).toBe(true);
  });

  it('returns the same string', () => {
    const built = ['a', 'b', 'c'].join('-') + '-tail';
    expect(flat(built)).toBe('a-b-c-tail');
  });
});
