import { TributaryError } from '../errors.ts';

/**
 * Deepest nesting of objects and arrays accepted in any JSON the platform takes in (request bodies,
 * run input, metadata, progress `meta`, checkpoint state). Real documents stay far below it; a
 * document thousands of levels deep only exists to make a recursive `JSON.stringify` or validator
 * overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The path of the first object or array nested deeper than `maxDepth` in `value` (the top level is
 * depth 1), or undefined when none is. Iterative, so it never overflows the stack itself.
 *
 * @example
 * ```ts
 * deepestPath({ input: { a: [[[1]]] } }, 3); // 'input.a[0]'
 * deepestPath({ input: 'flat' });             // undefined
 * ```
 */
export function deepestPath(value: unknown, maxDepth = MAX_JSON_DEPTH, name = ''): string | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 1, path: name }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth > maxDepth) return item.path || 'body';
    if (Array.isArray(item.value)) {
      item.value.forEach((child, i) =>
        stack.push({ value: child, depth: item.depth + 1, path: `${item.path}[${i}]` }),
      );
    } else {
      for (const [key, child] of Object.entries(item.value))
        stack.push({ value: child, depth: item.depth + 1, path: item.path ? `${item.path}.${key}` : key });
    }
  }
  return undefined;
}

/**
 * Throws INVALID_ARGUMENT when `value` nests deeper than `maxDepth`, naming the outermost field
 * (`input`, `metadata`, `meta`): what a caller can act on. The exact path is in `details.path`.
 * `name` is the value's own name, or '' for a request body whose top-level keys are the fields.
 *
 * @example
 * ```ts
 * assertJsonDepth(body);             // throws for { input: [[[[…6,000 levels…]]]] }, field 'input'
 * assertJsonDepth(run.input, 'input'); // the same field for the value on its own
 * ```
 */
export function assertJsonDepth(value: unknown, name = '', maxDepth = MAX_JSON_DEPTH): void {
  const path = deepestPath(value, maxDepth, name);
  if (path === undefined) return;
  const field = /^[^.[]+/.exec(path)?.[0] ?? 'body';
  throw new TributaryError(
    'INVALID_ARGUMENT',
    `${field} is nested more than ${maxDepth} levels deep (at ${truncate(path)})`,
    { field, details: { path: truncate(path), max_depth: maxDepth } },
  );
}

/** A path thousands of levels deep is itself a large string: keep what names the place. */
function truncate(path: string): string {
  return path.length > 120 ? `${path.slice(0, 120)}…` : path;
}
