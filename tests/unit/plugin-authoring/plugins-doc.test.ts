import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './scaffold-out.ts';

const DOC = 'docs/plugins.md';

/**
 * Code blocks the guide marks as copies of files: `<!-- file: path -->`, then a fenced block (three or more
 * backticks: Prettier uses four when the code itself holds a fence, as TSDoc examples do).
 */
const FILE_BLOCK = /<!-- file: (\S+) -->\n+(`{3,})\w*\n([\s\S]*?)\n\2\n/g;

/** The files the worked example is made of: the guide shows each one in full. */
const WORKED_EXAMPLE = [
  'examples/plugins/weather/index.ts',
  'examples/plugins/weather/index.test.ts',
  'examples/plugins/what_to_wear/index.ts',
];

let doc: string;
beforeAll(async () => {
  doc = await readFile(join(REPO, DOC), 'utf8');
});

describe('docs/plugins.md', () => {
  it('shows every file of the worked example', () => {
    const shown = [...doc.matchAll(FILE_BLOCK)].map(([, path]) => path);
    expect(shown).toEqual(expect.arrayContaining(WORKED_EXAMPLE));
  });

  it('shows each marked file exactly as it is on disk', async () => {
    for (const [, path = '', , code] of doc.matchAll(FILE_BLOCK)) {
      const file = await readFile(join(REPO, path), 'utf8');
      expect(`${code}\n`, `${DOC} shows ${path} differently: copy the file into the block again`).toBe(file);
    }
  });

  it('links only to files that exist', () => {
    const links = [...doc.matchAll(/\]\((\.\.\/[^)#]+)\)/g)].map(([, target = '']) => target);
    expect(links.length).toBeGreaterThan(0);
    for (const target of links) expect(existsSync(join(REPO, dirname(DOC), target)), target).toBe(true);
  });
});
