// ES2024 (Node 20+); the project's `lib` is ES2023, so declared here.
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/**
 * `value` with every lone UTF-16 surrogate, in every string and object key at any depth, replaced by
 * U+FFFD. The core stores and serves only well-formed text: a lone surrogate has no UTF-8 spelling,
 * so a store would otherwise keep something other than what the live transports sent. Returns
 * `value` itself (no copy) when nothing needs replacing, which is the common case.
 *
 * @example
 * ```ts
 * wellFormed({ message: 'a\ud800b' }); // { message: 'a\ufffdb' }
 * ```
 */
export function wellFormed<T>(value: T): T {
  return fix(value) as T;
}

function fix(value: unknown): unknown {
  if (typeof value === 'string') return value.isWellFormed() ? value : value.toWellFormed();
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const fixed = fix(item);
      if (fixed !== item) (out ??= value.slice())[i] = fixed;
    }
    return out ?? value;
  }
  // Only plain JSON objects: a Date, Map or class instance is no JSON the API accepts.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const inner = record[key];
    const fixedKey = fix(key) as string;
    const fixed = fix(inner);
    if (!out && (fixedKey !== key || fixed !== inner)) {
      // The first change: copy the entries before it as they are, then go on in the copy.
      out = {};
      for (const earlier of keys.slice(0, i)) put(out, earlier, record[earlier]);
    }
    if (out) put(out, fixedKey, fixed);
  }
  return out ?? value;
}

/** `target[key] = value`, but an own `__proto__` key (JSON.parse makes those) stays a plain property. */
export function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
