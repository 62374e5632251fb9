import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from '../../platform/platform.ts';

/**
 * The README, followed as a user would: its examples are files that run (the README shows them as they
 * are), the flows it names exist, and its links stay inside the repo and lead somewhere.
 */
const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** A child that never exits (a runtime left running) fails the test instead of hanging it. */
const CHILD_TIMEOUT_MS = 60_000;

/** `<!-- file: path -->` then a fenced block: the README's copy of a file. */
const FILE_BLOCK = /<!-- file: (\S+) -->\n+(`{3,})\w*\n([\s\S]*?)\n\2\n/g;

let readme: string;
beforeAll(async () => {
  readme = await readFile(join(REPO, 'README.md'), 'utf8');
});

const shownFiles = () =>
  [...readme.matchAll(FILE_BLOCK)].map(([, path = '', , code = '']) => ({ path, code }));

describe('README examples', () => {
  it('shows the core and client examples exactly as they are on disk', async () => {
    const shown = shownFiles();
    expect(shown.map((block) => block.path)).toEqual(
      expect.arrayContaining(['examples/core/echo.ts', 'examples/client/quiz.mts']),
    );
    for (const { path, code } of shown) {
      expect(`${code}\n`, `README.md shows ${path} differently: copy the file again`).toBe(
        await readFile(join(REPO, path), 'utf8'),
      );
    }
  });

  it('"Using the core" runs with node --import tsx, prints the events the README shows, and exits 0', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/core/echo.ts'], {
      cwd: REPO,
      timeout: CHILD_TIMEOUT_MS,
    });
    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(0)).toBe('1 session.created session created');
    expect(lines).toContain('7 message HELLO');
    expect(lines.at(-1)).toBe('8 run.completed run completed');
    // The output block right after the example in the README.
    const after = readme.slice(readme.indexOf('<!-- file: examples/core/echo.ts -->'));
    const shownOutput = /```text\n([\s\S]*?)\n```/.exec(after)?.[1];
    expect(shownOutput).toBe(lines.join('\n'));
  }, 90_000);

  describe('the typed client example, saved outside the repo as the README says', () => {
    let platform: Platform;
    let outside: string;
    beforeAll(async () => {
      platform = await startPlatform(
        { STORE: 'memory', PORT: '0', SHUTDOWN_TIMEOUT_MS: '0' },
        { logger: pino({ level: 'silent' }) },
      );
      outside = await mkdtemp(join(tmpdir(), 'tributary-client-'));
    });
    afterAll(async () => {
      await platform.close();
      await rm(outside, { recursive: true, force: true });
    });

    it('runs a quiz to the end as a .mts file importing the checkout’s client, and exits 0', async () => {
      const source = await readFile(join(REPO, 'examples/client/quiz.mts'), 'utf8');
      const client = join(REPO, 'clients/api-client.ts');
      expect(source).toContain("from '../../clients/api-client.ts'");
      await writeFile(join(outside, 'quiz.mts'), source.replace('../../clients/api-client.ts', client));
      const { stdout } = await run(join(REPO, 'node_modules/.bin/tsx'), ['quiz.mts'], {
        cwd: outside,
        env: { ...process.env, TRIBUTARY_URL: platform.url, TRIBUTARY_API_KEY: '' },
        timeout: CHILD_TIMEOUT_MS,
      });
      expect(stdout).toMatch(/^run [0-9a-f-]{36} completed\n/);
      expect(stdout).toMatch(/^Quiz: /m);
    }, 90_000);
  });
});

describe('README text', () => {
  it('names only flows that exist', async () => {
    const { builtinFlows } = await import('../../plugins/builtin.ts');
    const flows = new Set(builtinFlows.map((flow) => flow.name));
    const named = [
      ...[...readme.matchAll(/--flow (\w+)/g)].map(([, name]) => name),
      ...[...readme.matchAll(/"flow":\s*"(\w+)"/g)].map(([, name]) => name),
      ...[...readme.matchAll(/flow: '(\w+)'/g)].map(([, name]) => name),
    ].filter((name) => name !== 'echo'); // examples/core/echo.ts defines its own
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(flows, `README names flow ${name}`).toContain(name);
  });

  it.each(['README.md', 'docs/contract.md', 'docs/plugins.md', 'docs/core.md', 'docs/tracing.md'])(
    '%s points at nothing outside the repo, and its links lead to files and headings that exist',
    async (doc) => {
      const text = await readFile(join(REPO, doc), 'utf8');
      expect(text).not.toMatch(/\.\.\/shared\/|DESIGN\.md/);
      const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map(([, target = '']) => target);
      for (const link of links.filter((target) => !/^(https?:|mailto:|<)/.test(target))) {
        const [path = '', anchor] = link.split('#');
        const file = path === '' ? join(REPO, doc) : join(REPO, dirname(doc), path);
        expect(existsSync(file), `${doc}: ${link}`).toBe(true);
        if (anchor !== undefined && file.endsWith('.md')) {
          expect(headingSlugs(await readFile(file, 'utf8')), `${doc}: ${link}`).toContain(anchor);
        }
      }
    },
  );
});

/** GitHub's anchors for a Markdown file's headings. */
function headingSlugs(markdown: string): string[] {
  const withoutCode = markdown.replace(/^(`{3,})[\s\S]*?^\1/gm, '');
  return [...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map(([, title = '']) =>
    title
      .toLowerCase()
      .replace(/[^\w\- ]/g, '')
      .replace(/ /g, '-'),
  );
}
