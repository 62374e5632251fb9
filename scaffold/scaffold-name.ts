import { describeValue, PLUGIN_NAME, TributaryError } from '../core/index.ts';
import { builtinFlows } from '../plugins/builtin.ts';
import { builtinTools } from '../plugins/builtin-tools.ts';

/**
 * The names of the built-in tools and flows, read from the plugins themselves so the list cannot drift.
 *
 * @example
 * ```ts
 * builtinPluginNames(); // Map { 'rag_search' => 'tool', …, 'quiz' => 'flow', … }
 * ```
 */
export function builtinPluginNames(): ReadonlyMap<string, 'tool' | 'flow'> {
  // Made only to read their names: nothing is ever sent to these URLs.
  const tools = builtinTools({ ragUrl: 'http://127.0.0.1', examUrl: 'http://127.0.0.1' });
  return new Map([...tools, ...builtinFlows].map((plugin) => [plugin.name, plugin.kind]));
}

/**
 * Checks a name for a new plugin: it must be a valid plugin name (the core's `PLUGIN_NAME`) and must not be
 * taken by a built-in tool or flow. Throws `INVALID_ARGUMENT` with `field: 'name'` otherwise.
 *
 * @example
 * ```ts
 * assertScaffoldName('stock_quote'); // fine
 * assertScaffoldName('Stock-Quote'); // throws: plugin name must be lower case letters, …
 * assertScaffoldName('quiz'); // throws: "quiz" is the name of a built-in flow: pick another name
 * ```
 */
export function assertScaffoldName(name: string): void {
  if (!PLUGIN_NAME.test(name)) {
    throw new TributaryError(
      'INVALID_ARGUMENT',
      'plugin name must be lower case letters, digits and underscores, starting with a letter, ' +
        `at most 64 characters (${String(PLUGIN_NAME)}), got ${describeValue(name)}`,
      { field: 'name' },
    );
  }
  const builtin = builtinPluginNames().get(name);
  if (builtin !== undefined) {
    // Tools and flows have separate namespaces, but one name for two things would confuse every catalogue reader.
    throw new TributaryError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(name)} is the name of a built-in ${builtin}: pick another name`,
      { field: 'name' },
    );
  }
}
