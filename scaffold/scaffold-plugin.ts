import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TributaryError } from '../core/index.ts';
import { formatSource } from './format-source.ts';
import { assertScaffoldName } from './scaffold-name.ts';
import { isInside, templateVars } from './template-vars.ts';
import { toolTestTemplate } from './tool-test-template.ts';
import { toolTemplate } from './tool-template.ts';

const MODULE_PACKAGE_JSON = `${JSON.stringify({ private: true, type: 'module' }, null, 2)}\n`;

/** The repo this scaffold belongs to: generated imports point at its `core/`, `plugins/http/` and `tests/`. */
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

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
  /** The plugin folder, absolute. */
  folder: string;
  /** The repo whose core the files import, absolute (`npm start` resolves relative `PLUGINS` paths from it). */
  repo: string;
  /** Whether the folder is inside that repo: its imports are then relative, else absolute. */
  insideRepo: boolean;
}

/**
 * Writes a new plugin folder, `<dir>/<name>/`, with an HTTP tool (`index.ts`, in the shape of the worked
 * example of docs/plugins.md) and its test (`index.test.ts`, the conformance suite with nock).
 * Refuses with `INVALID_ARGUMENT` (`field: 'name'`) a name that is not a valid plugin name, the name of a
 * built-in tool or flow, or a folder that already exists: it never overwrites anything.
 * The folder may be anywhere: inside this repo the files import its modules by relative path; outside it, by
 * absolute path, with the test's `vitest` and `nock` coming through the repo (`test-kit.ts`), and a
 * `package.json` (`"type": "module"`) is written next to them.
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
  const insideRepo = isInside(target, REPO_ROOT);
  const vars = templateVars(name, target, REPO_ROOT, pluginsPath(join(target, 'index.ts'), insideRepo));
  const sources: Array<[string, string]> = [
    [join(target, 'index.ts'), toolTemplate(vars)],
    [join(target, 'index.test.ts'), toolTestTemplate(vars)],
  ];
  // Outside the repo no package.json says "type": "module", and Node, tsx and tsc would take the files
  // for CommonJS: this one scopes ES modules to the plugin folder, whatever the project around it.
  if (!insideRepo) sources.push([join(target, 'package.json'), MODULE_PACKAGE_JSON]);
  try {
    for (const [file, source] of sources) {
      // The repo's Prettier settings when the folder has none of its own (outside the repo, say).
      await writeFile(file, await formatSource(source, file, REPO_ROOT), { flag: 'wx' });
    }
  } catch (error) {
    // The folder is ours (made above): leave nothing half-written behind.
    await rm(target, { recursive: true, force: true });
    throw error;
  }
  return { files: sources.map(([file]) => shown(file)), folder: target, repo: REPO_ROOT, insideRepo };
}

/**
 * What to put in `PLUGINS` to load `file` with `npm start`, which runs in the repo root (npm runs scripts
 * there) and resolves relative paths from it: repo-relative inside the repo, absolute outside it.
 */
export function pluginsPath(file: string, insideRepo: boolean): string {
  return insideRepo ? `./${relative(REPO_ROOT, file).split(sep).join('/')}` : file.split(sep).join('/');
}

function folderExists(folder: string, cause?: unknown): TributaryError {
  return new TributaryError(
    'INVALID_ARGUMENT',
    `${folder} already exists: scaffolding never overwrites (pick another name or remove the folder)`,
    { field: 'name', cause },
  );
}
