import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TributaryError } from '../../core/index.ts';
import { formatSource } from './format-source.ts';
import { assertScaffoldName } from './scaffold-name.ts';
import { templateVars } from './template-vars.ts';
import { toolTestTemplate } from './tool-test-template.ts';
import { toolTemplate } from './tool-template.ts';

/** The repo this scaffold belongs to: generated imports point at its `core/`, `plugins/http/` and `tests/`. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ScaffoldOptions {
  /** The tool's name, e.g. `stock_quote`: also the folder's name. */
  name: string;
  /** The folder the plugin folder goes in, relative to `cwd`. Default `plugins`. */
  dir?: string;
  /** Where `dir` and the returned paths are relative to. Default `process.cwd()`. */
  cwd?: string;
}

export interface ScaffoldResult {
  /** The files written, relative to `cwd` with `/` separators, e.g. `plugins/stock_quote/index.ts`. */
  files: string[];
}

/**
 * Writes a new plugin folder, `<dir>/<name>/`, with an HTTP tool (`index.ts`, in the shape of the worked
 * example of docs/plugins.md) and its test (`index.test.ts`, the conformance suite with nock).
 * Refuses with `INVALID_ARGUMENT` (`field: 'name'`) a name that is not a valid plugin name, the name of a
 * built-in tool or flow, or a folder that already exists: it never overwrites anything.
 * The folder should sit inside this repo, since the files import its core, HTTP kit, test suite and packages.
 *
 * @example
 * ```ts
 * const { files } = await scaffoldPlugin({ name: 'stock_quote' });
 * // ['plugins/stock_quote/index.ts', 'plugins/stock_quote/index.test.ts']
 * ```
 */
export async function scaffoldPlugin(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const { name, dir = 'plugins', cwd = process.cwd() } = options;
  assertScaffoldName(name);
  const target = resolve(cwd, dir, name);
  const shown = (path: string) => relative(cwd, path).split(sep).join('/');
  if (existsSync(target)) throw folderExists(shown(target));

  await mkdir(dirname(target), { recursive: true });
  try {
    // Not recursive: if another process made the folder since the check above, this fails instead of sharing it.
    await mkdir(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw folderExists(shown(target), error);
    throw error;
  }
  const vars = templateVars(name, target, REPO_ROOT, `./${shown(join(target, 'index.ts'))}`);
  const sources: Array<[string, string]> = [
    [join(target, 'index.ts'), toolTemplate(vars)],
    [join(target, 'index.test.ts'), toolTestTemplate(vars)],
  ];
  try {
    for (const [file, source] of sources) {
      await writeFile(file, await formatSource(source, file), { flag: 'wx' });
    }
  } catch (error) {
    // The folder is ours (made above): leave nothing half-written behind.
    await rm(target, { recursive: true, force: true });
    throw error;
  }
  return { files: sources.map(([file]) => shown(file)) };
}

function folderExists(folder: string, cause?: unknown): TributaryError {
  return new TributaryError(
    'INVALID_ARGUMENT',
    `${folder} already exists: scaffolding never overwrites (pick another name or remove the folder)`,
    { field: 'name', cause },
  );
}
