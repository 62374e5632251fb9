import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlugins } from '../../../core/index.ts';

/**
 * What docs/plugins.md says about relative PLUGINS paths: they resolve against the server process's working
 * directory (the package root under `npm start`), never against npm's INIT_CWD (where the command was typed).
 */
const WEATHER = './examples/plugins/weather/index.ts';
const saved = process.env.INIT_CWD;
afterEach(() => {
  if (saved === undefined) delete process.env.INIT_CWD;
  else process.env.INIT_CWD = saved;
});

describe('relative PLUGINS paths', () => {
  it('resolve against the working directory even when npm set INIT_CWD to another one', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'tributary-init-cwd-'));
    try {
      process.env.INIT_CWD = elsewhere;
      // vitest runs in the repo root, as `npm start` does.
      const [tool] = await loadPlugins([WEATHER]);
      expect(tool?.name).toBe('weather');
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('say in the error where they were looked for', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'tributary-cwd-'));
    try {
      await expect(loadPlugins([WEATHER], elsewhere)).rejects.toMatchObject({
        code: 'PLUGIN_INVALID',
        message: expect.stringContaining(join(elsewhere, 'examples/plugins/weather/index.ts')),
      });
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
