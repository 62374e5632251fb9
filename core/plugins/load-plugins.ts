import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage, isTributaryError, TributaryError } from '../errors.ts';
import type { Plugin } from './plugin.ts';
import { assertPlugin } from './plugin-validation.ts';

/**
 * Imports the external plugins `PLUGINS` names: module paths (relative to `cwd`) or package names.
 * `cwd` is the process's working directory, as for every relative path in the settings (`SQLITE_PATH`):
 * under `npm start` that is the package root, not the directory the command was typed in (`INIT_CWD`),
 * which would make `PLUGINS` and `SQLITE_PATH` disagree and follow npm into nested processes.
 * A module's default export is a tool, a flow or an array of them (or it exports `plugins`).
 * Anything else stops the start with PLUGIN_INVALID naming the module and what is wrong.
 *
 * @example
 * ```ts
 * const plugins = await loadPlugins(['./plugins/weather/index.ts', '@acme/tributary-tools']);
 * ```
 */
export async function loadPlugins(specifiers: readonly string[], cwd = process.cwd()): Promise<Plugin[]> {
  const loaded: Plugin[] = [];
  for (const specifier of specifiers) {
    const where = `PLUGINS: ${specifier}`;
    let module: Record<string, unknown>;
    try {
      module = (await import(toImportable(specifier, cwd))) as Record<string, unknown>;
    } catch (cause) {
      throw new TributaryError('PLUGIN_INVALID', `${where}: cannot be loaded: ${errorMessage(cause)}`, {
        field: 'PLUGINS',
        cause,
      });
    }
    // ESM: `export default` or `export const plugins`; CommonJS: `module.exports = …` arrives as `default`.
    const commonJs = module.default as { plugins?: unknown } | undefined;
    const exported = module.plugins ?? commonJs?.plugins ?? module.default;
    if (exported === undefined) {
      throw new TributaryError(
        'PLUGIN_INVALID',
        `${where}: exports no plugin (expected a default export made by defineTool or defineFlow)`,
        {
          field: 'PLUGINS',
        },
      );
    }
    for (const candidate of [exported].flat()) {
      try {
        assertPlugin(candidate);
      } catch (error) {
        if (!isTributaryError(error)) throw error;
        throw new TributaryError(error.code, `${where}: ${error.message}`, {
          field: 'PLUGINS',
          details: { plugin_field: error.field },
          cause: error,
        });
      }
      loaded.push(candidate);
    }
  }
  return loaded;
}

function toImportable(specifier: string, cwd: string): string {
  const isPath = specifier.startsWith('.') || isAbsolute(specifier);
  return isPath ? pathToFileURL(resolve(cwd, specifier)).href : specifier;
}
