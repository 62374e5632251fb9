import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../core/index.ts';
import { pluginsPath, scaffoldPlugin } from './scaffold-plugin.ts';

/** Where the command writes; `process.stdout` and `process.stderr` fit. */
export interface TextSink {
  write(text: string): unknown;
}

export interface CommandIo {
  stdout: TextSink;
  stderr: TextSink;
}

export const PLUGIN_NEW_USAGE = 'usage: npm run plugin:new -- <name> [--dir <dir>]';

/**
 * `plugin:new <name> [--dir <dir>]`: scaffolds a plugin (see {@link scaffoldPlugin}), prints the files written
 * and what to do next, and resolves to the exit code: 0 when written, 1 with the reason on `stderr` otherwise.
 * `--dir` and the paths printed are relative to `cwd`.
 * Kept apart from `main.ts` so the CLI (`tributary plugin new`) can reuse it and tests can run it in-process.
 *
 * @example
 * ```ts
 * process.exitCode = await pluginNewCommand(['stock_quote', '--dir', 'examples/plugins']);
 * ```
 */
export async function pluginNewCommand(
  args: readonly string[],
  io: CommandIo = process,
  cwd = process.cwd(),
): Promise<number> {
  let name: string;
  let dir: string | undefined;
  try {
    const parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { dir: { type: 'string' } },
    });
    if (parsed.positionals.length !== 1) throw new Error('give one plugin name');
    name = parsed.positionals[0] ?? '';
    dir = parsed.values.dir;
  } catch (error) {
    io.stderr.write(`plugin:new: ${errorMessage(error)}\n${PLUGIN_NEW_USAGE}\n`);
    return 1;
  }
  try {
    const result = await scaffoldPlugin({ name, dir, cwd });
    const { files, insideRepo } = result;
    const folder = files[0]?.replace(/\/index\.ts$/, '') ?? name;
    const envVar = `${name.toUpperCase()}_URL`;
    const plugins = pluginsPath(join(result.folder, 'index.ts'), insideRepo);
    // Outside the repo there is no `npx vitest` and no `npm start`: name the repo's own.
    const repo = result.repo.replace(/[\\/]$/, '');
    const test = insideRepo
      ? `npx vitest run ${folder}`
      : `${join(repo, 'node_modules', '.bin', 'vitest')} run --root ${result.folder}`;
    const start = insideRepo ? 'npm start' : `npm --prefix ${repo} start`;
    io.stdout.write(
      [
        ...files.map((file) => `wrote ${file}`),
        '',
        'Next:',
        `  1. Describe your tool: the types, schemas and execute in ${folder}/index.ts`,
        `  2. Test it:  ${test}`,
        `  3. Load it:  ${envVar}=http://… PLUGINS=${plugins} ${start}`,
        `The guide: ${insideRepo ? 'docs/plugins.md' : join(repo, 'docs', 'plugins.md')}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    io.stderr.write(`plugin:new: ${errorMessage(error)}\n`);
    return 1;
  }
}
