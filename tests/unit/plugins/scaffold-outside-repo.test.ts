import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlugins } from '../../../core/index.ts';
import { pluginNewCommand } from '../../../scaffold/index.ts';

/**
 * `tributary plugin new <name> --dir <somewhere outside the repo>`: the files written there must resolve
 * every import, typecheck, pass their own test and load through PLUGINS, with nothing but this checkout.
 */
const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const bin = (name: string) => join(REPO, 'node_modules', '.bin', name);

let outside: string;
let folder: string;
let printed: { code: number; stdout: string; stderr: string };

beforeAll(async () => {
  outside = await mkdtemp(join(tmpdir(), 'tributary-plugin-'));
  folder = join(outside, 'work', 'stock_quote');
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  };
  // As a user in their own folder would: `tributary plugin new stock_quote --dir work`.
  const code = await pluginNewCommand(['stock_quote', '--dir', 'work'], io, outside);
  printed = { code, stdout, stderr };
});
afterAll(() => rm(outside, { recursive: true, force: true }));

describe('a plugin scaffolded outside the repo', () => {
  it('is really outside it, and says how to test and load it from there', () => {
    expect(relative(REPO, outside)).toMatch(/^\.\./);
    expect({ code: printed.code, stderr: printed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(printed.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'wrote work/stock_quote/index.ts',
        'wrote work/stock_quote/index.test.ts',
        'wrote work/stock_quote/package.json',
        `  2. Test it:  ${bin('vitest')} run --root ${folder}`,
        `  3. Load it:  STOCK_QUOTE_URL=http://… PLUGINS=${folder}/index.ts npm --prefix ${REPO.replace(/\/$/, '')} start`,
      ]),
    );
  });

  it('imports the repo by absolute path, and nothing by bare package name', async () => {
    for (const file of ['index.ts', 'index.test.ts']) {
      const source = await readFile(join(folder, file), 'utf8');
      const specifiers = [...source.matchAll(/from '([^']+)'/g)].map(([, specifier]) => specifier ?? '');
      expect(specifiers.length, file).toBeGreaterThan(0);
      for (const specifier of specifiers) {
        expect(specifier === './index.ts' || specifier.startsWith(REPO), `${file}: ${specifier}`).toBe(true);
      }
    }
    expect(JSON.parse(await readFile(join(folder, 'package.json'), 'utf8'))).toEqual({
      private: true,
      type: 'module',
    });
  });

  it('typechecks as ES modules, in strict mode', async () => {
    const flags = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext'];
    flags.push('--moduleResolution', 'nodenext', '--allowImportingTsExtensions', '--verbatimModuleSyntax');
    flags.push('--skipLibCheck', '--types', 'node');
    const files = [join(folder, 'index.ts'), join(folder, 'index.test.ts')];
    // Run from the repo only so `--types node` finds @types/node; the files stay where they are.
    await expect(run(bin('tsc'), [...flags, ...files], { cwd: REPO })).resolves.toBeDefined();
  }, 120_000);

  it('passes its own test, conformance suite included, run as step 2 says', async () => {
    const report = join(outside, 'report.json');
    const args = ['run', '--root', folder, '--reporter=json', `--outputFile=${report}`];
    await run(bin('vitest'), args, { cwd: outside });
    const result = JSON.parse(await readFile(report, 'utf8')) as {
      success: boolean;
      numPassedTests: number;
      testResults: Array<{ assertionResults: Array<{ ancestorTitles: string[] }> }>;
    };
    expect(result.success).toBe(true);
    expect(result.numPassedTests).toBeGreaterThanOrEqual(10);
    const suites = result.testResults.flatMap((file) =>
      file.assertionResults.map((t) => t.ancestorTitles[0]),
    );
    expect(suites).toContain('tool conformance: stock_quote');
  }, 120_000);

  it('loads through PLUGINS, by the absolute path step 3 prints or relative to where the server runs', async () => {
    const loaded = await loadPlugins([join(folder, 'index.ts'), './work/stock_quote/index.ts'], outside);
    expect(loaded.map((plugin) => plugin.name)).toEqual(['stock_quote', 'stock_quote']);
  });
});
