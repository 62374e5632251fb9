import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlugins, PluginRegistry } from '../../../core/index.ts';
import { builtinPlugins } from '../../../plugins/builtin.ts';
import { scaffoldPlugin } from '../../../scaffold/index.ts';
import { REPO, scaffoldOut } from './scaffold-out.ts';

const run = promisify(execFile);
const out = scaffoldOut();
/** One plugin in `<out>/stock_quote/` through `dir`; one in `<out>/plugins/fx_rate/` through `cwd` and the default `dir`. */
const NAMED = { name: 'stock_quote', dir: out.dir, cwd: REPO };
const DEFAULTED = { name: 'fx_rate', cwd: join(REPO, out.dir) };
let written: { stock: string[]; fx: string[] };

const read = (file: string) => readFile(join(REPO, file), 'utf8');

/** The vitest JSON report's summary. */
interface VitestReport {
  success: boolean;
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{ assertionResults: Array<{ ancestorTitles: string[]; status: string }> }>;
}

beforeAll(async () => {
  written = { stock: (await scaffoldPlugin(NAMED)).files, fx: (await scaffoldPlugin(DEFAULTED)).files };
});
afterAll(out.remove);

describe('scaffoldPlugin', () => {
  it('writes index.ts and index.test.ts, and says where, relative to cwd', () => {
    expect(written.stock).toEqual([
      `${out.dir}/stock_quote/index.ts`,
      `${out.dir}/stock_quote/index.test.ts`,
    ]);
    expect(written.fx).toEqual(['plugins/fx_rate/index.ts', 'plugins/fx_rate/index.test.ts']);
  });

  it('imports the repo modules relative to where the folder is', async () => {
    const stock = await read(written.stock[0] ?? '');
    expect(stock).toContain("from '../../../../core/index.ts'");
    expect(stock).toContain("from '../../../../plugins/http/index.ts'");
    const fx = await read(`${out.dir}/${written.fx[1]}`);
    expect(fx).toContain("from '../../../../conformance/tool-conformance.ts'");
    expect(fx).toContain("from './index.ts'");
  });

  it('binds the default export to <NAME>_URL', async () => {
    const stock = await read(written.stock[0] ?? '');
    expect(stock).toContain("export const DEFAULT_STOCK_QUOTE_URL = 'http://127.0.0.1:8200';");
    expect(stock).toContain(
      'export default stockQuoteTool({ baseUrl: process.env.STOCK_QUOTE_URL || DEFAULT_STOCK_QUOTE_URL });',
    );
  });

  it('writes files that pass the repo lint: Prettier and ESLint', async () => {
    const files = written.stock.map((file) => join(REPO, file));
    for (const file of files) {
      const options = { ...(await prettier.resolveConfig(file)), filepath: file };
      expect(await prettier.check(await readFile(file, 'utf8'), options), file).toBe(true);
    }
    const results = await new ESLint({ cwd: REPO }).lintFiles(files);
    expect(results.flatMap((result) => result.messages)).toEqual([]);
  });

  it('refuses a folder that exists and leaves it as it was', async () => {
    const before = await read(written.stock[0] ?? '');
    await expect(scaffoldPlugin(NAMED)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'name',
      message: `${out.dir}/stock_quote already exists: scaffolding never overwrites (pick another name or remove the folder)`,
    });
    expect(await read(written.stock[0] ?? '')).toBe(before);
  });

  it.each(['Stock', '9lives', 'stock-quote', 'a'.repeat(65), ''])(
    'refuses the name %j and writes nothing',
    async (name) => {
      await expect(scaffoldPlugin({ ...NAMED, name })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'name',
        message: expect.stringMatching(/^plugin name must be lower case letters, digits and underscores/),
      });
      if (name !== '') expect(existsSync(join(REPO, out.dir, name))).toBe(false);
    },
  );

  it.each([
    ['rag_search', 'tool'],
    ['planner', 'tool'],
    ['quiz', 'flow'],
    ['grade', 'flow'],
  ])('refuses %s, a built-in %s', async (name, kind) => {
    await expect(scaffoldPlugin({ ...NAMED, name })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'name',
      message: `"${name}" is the name of a built-in ${kind}: pick another name`,
    });
    expect(existsSync(join(REPO, out.dir, name))).toBe(false);
  });

  it('writes a module loadPlugins loads and the registry takes next to the built-ins', async () => {
    const loaded = await loadPlugins([`./${written.stock[0]}`, `./${out.dir}/${written.fx[0]}`], REPO);
    expect(loaded.map((plugin) => plugin.name)).toEqual(['stock_quote', 'fx_rate']);
    const builtins = builtinPlugins({ ragUrl: 'http://rag.test', examUrl: 'http://exam.test' });
    const registry = new PluginRegistry().register(builtins, loaded).validate();
    expect(registry.tools().map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['stock_quote', 'fx_rate']),
    );
  });

  it('writes a test that passes, conformance suite included', async () => {
    const report = join(REPO, out.dir, 'report.json');
    const config = 'tests/unit/plugin-authoring/vitest.scaffold.config.ts';
    // Only this file's folder: another test file may be writing its own under tests/scaffold-out/.
    const args = ['run', '--config', config, '--reporter=json', `--outputFile=${report}`, out.dir];
    await run(join(REPO, 'node_modules/.bin/vitest'), args, { cwd: REPO });
    const result = JSON.parse(await readFile(report, 'utf8')) as VitestReport;
    expect(result).toMatchObject({ success: true, numFailedTests: 0 });
    const suites = result.testResults.flatMap((file) =>
      file.assertionResults.map((test) => test.ancestorTitles[0]),
    );
    expect(suites).toEqual(
      expect.arrayContaining(['tool conformance: stock_quote', 'tool conformance: fx_rate']),
    );
    expect(result.numPassedTests).toBeGreaterThanOrEqual(2 * 10);
  });
});
