import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { pluginNewCommand } from '../../../scaffold/index.ts';
import { REPO, scaffoldOut } from './scaffold-out.ts';

const run = promisify(execFile);
const out = scaffoldOut();
afterAll(out.remove);

/** Runs the command in-process and keeps what it printed. */
async function pluginNew(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  };
  const code = await pluginNewCommand(args, io, REPO);
  return { code, stdout, stderr };
}

describe('plugin:new', () => {
  it('prints the files written and the next steps', async () => {
    const { code, stdout, stderr } = await pluginNew('stock_quote', '--dir', out.dir);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const folder = `${out.dir}/stock_quote`;
    expect(stdout.split('\n')).toEqual(
      expect.arrayContaining([
        `wrote ${folder}/index.ts`,
        `wrote ${folder}/index.test.ts`,
        `  2. Test it:  npx vitest run ${folder}`,
        `  3. Load it:  STOCK_QUOTE_URL=http://… PLUGINS=./${folder}/index.ts npm start`,
      ]),
    );
    expect(existsSync(join(REPO, folder, 'index.test.ts'))).toBe(true);
  });

  it('exits 1 with the reason when the folder exists', async () => {
    expect((await pluginNew('fx_rate', '--dir', out.dir)).code).toBe(0);
    const { code, stdout, stderr } = await pluginNew('fx_rate', '--dir', out.dir);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      `plugin:new: ${out.dir}/fx_rate already exists: ` +
        'scaffolding never overwrites (pick another name or remove the folder)\n',
    );
  });

  it.each([[[]], [['a', 'b']], [['stock_quote', '--force']]])(
    'exits 1 with the usage for %j',
    async (args) => {
      const { code, stderr } = await pluginNew(...args);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^plugin:new: .+\nusage: npm run plugin:new -- <name> \[--dir <dir>\]\n$/);
    },
  );

  it('runs as a script: `npm run plugin:new` exits 1 on a bad name', async () => {
    const script = ['--import', 'tsx', 'scaffold/main.ts', 'Stock-Quote', '--dir', out.dir];
    const failed = await run(process.execPath, script, { cwd: REPO }).catch((error: unknown) => error);
    expect(failed).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /^plugin:new: plugin name must be lower case letters, .*got "Stock-Quote"\n$/,
      ),
    });
  });
});
