import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

/** The fields of package.json that npm copies into the lock's root entry (`packages[""]`). */
const MIRRORED = [
  'name',
  'version',
  'license',
  'bin',
  'engines',
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
] as const;

const readJson = async (file: string) =>
  JSON.parse(await readFile(new URL(`../../${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('package-lock.json', () => {
  // The quick start's `npm install` rewrites a lock whose root entry disagrees with package.json, so a
  // fresh clone shows a modified file. Checked here without running npm (which takes minutes).
  it('mirrors package.json in its root entry, so npm install leaves it as committed', async () => {
    const pkg = await readJson('package.json');
    const lock = await readJson('package-lock.json');
    const root = (lock.packages as Record<string, Record<string, unknown>>)[''] ?? {};
    expect({ name: lock.name, version: lock.version }).toEqual({ name: pkg.name, version: pkg.version });
    for (const field of MIRRORED) expect(root[field], `packages[""].${field}`).toEqual(pkg[field]);
  });
});
