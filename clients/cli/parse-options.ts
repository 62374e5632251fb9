import { InvalidArgumentError } from 'commander';

/**
 * Commander parsers for option values: a bad value becomes commander's usage error (exit 1) naming the option.
 *
 * @example
 * ```ts
 * new Option('--limit <n>').argParser(integerIn(1, 1000)); // --limit 0: "must be an integer from 1 to 1000"
 * ```
 */
export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min || number > max)
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `must be an integer of at least ${min}`
          : `must be an integer from ${min} to ${max}`,
      );
    return number;
  };
}

/**
 * Parses `--url`: an http(s) URL, returned without a trailing slash.
 *
 * @example
 * ```ts
 * parseUrl('http://127.0.0.1:3000/'); // 'http://127.0.0.1:3000'
 * ```
 */
export function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL such as http://127.0.0.1:3000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('must be an http:// or https:// URL');
  return url.href.replace(/\/+$/, '');
}

/**
 * Parses `--input`: a JSON object.
 *
 * @example
 * ```ts
 * parseJsonObject('{"num_questions": 2}'); // { num_questions: 2 }
 * ```
 */
export function parseJsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`must be JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError('must be a JSON object, e.g. \'{"num_questions": 2}\'');
  return parsed as Record<string, unknown>;
}
