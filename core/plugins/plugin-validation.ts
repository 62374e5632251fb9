import { TributaryError } from '../errors.ts';
import type { Plugin } from './plugin.ts';

/** Tool and flow names: they end up in URLs, span names and event fields, so keep them plain. */
export const PLUGIN_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Node's timers overflow past 2^31 - 1 ms and then fire at once; a longer timeout would be no timeout at all. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The most retries a tool may ask for: more only hides an outage behind minutes of backoff. */
export const MAX_RETRIES = 10;

/**
 * Checks that a value is a well-formed tool or flow object, throwing `PLUGIN_INVALID` whose `field` says
 * which plugin and which property (`tool shout: timeoutMs`) and whose message says what was expected and what was given.
 * Schemas are only checked to be objects here; whether they compile is the registry's job.
 *
 * @example
 * ```ts
 * const loaded: unknown = (await import(path)).default;
 * assertPlugin(loaded); // now typed as Plugin
 * registry.register(loaded);
 * ```
 */
export function assertPlugin(value: unknown): asserts value is Plugin {
  if (!isPlainObject(value))
    fail('plugin', 'a plugin must be an object made by defineTool or defineFlow', value);
  const kind = value.kind;
  if (kind !== 'tool' && kind !== 'flow') fail('plugin: kind', 'kind must be "tool" or "flow"', kind);
  const name = value.name;
  if (typeof name !== 'string' || !PLUGIN_NAME.test(name)) {
    fail(`${kind}: name`, `${kind} name must match ${String(PLUGIN_NAME)}`, name);
  }
  const where = `${kind} ${name}`;
  const check = (key: string, ok: (v: unknown) => boolean, expected: string, optional: boolean): void => {
    const v = value[key];
    if ((optional && v === undefined) || ok(v)) return;
    fail(`${where}: ${key}`, `${where}: ${key} must be ${expected}`, v);
  };

  check('version', (v) => typeof v === 'string' && v.trim() !== '', 'a non-empty string', false);
  check('description', (v) => typeof v === 'string', 'a string', false);
  check('input', isPlainObject, 'a JSON Schema object', false);
  check('execute', (v) => typeof v === 'function', 'a function', false);
  if (kind === 'flow') {
    check('tools', isStringArray, 'an array of tool names', true);
    return;
  }
  check('output', isPlainObject, 'a JSON Schema object', false);
  for (const key of ['timeoutMs', 'retryDelayMs', 'approvalTimeoutMs']) {
    check(key, isTimerMs, `a positive integer number of milliseconds up to ${MAX_TIMER_MS}`, true);
  }
  check('retries', isRetryCount, `an integer from 0 to ${MAX_RETRIES}`, true);
  check('requiresApproval', (v) => typeof v === 'boolean', 'a boolean', true);
  check('dependencies', isStringArray, 'an array of tool names', true);
}

function fail(field: string, expected: string, given: unknown): never {
  throw new TributaryError('PLUGIN_INVALID', `${expected}, got ${describeValue(given)}`, {
    field,
    details: { given: describeValue(given) },
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isStringArray(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isTimerMs(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_TIMER_MS;
}

function isRetryCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_RETRIES;
}

/** A short, safe rendering of what a plugin author passed: never the whole value, which may be large. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'undefined':
      return 'nothing';
    case 'string':
      return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      return isPlainObject(value)
        ? 'an object'
        : `an instance of ${value.constructor?.name ?? 'an unknown class'}`;
  }
}
