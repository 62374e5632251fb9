import { afterEach, describe, expect, it, vi } from 'vitest';
import { startPlatform } from '../../../platform/platform.ts';
import type * as DemoBackendsModule from '../../../demo-backends/index.ts';
import type { DemoBackends } from '../../../demo-backends/index.ts';

/** Every demo backend pair `startPlatform` starts, so a test can see whether a failed start left them running. */
const demos = vi.hoisted((): DemoBackends[] => []);

vi.mock('../../../demo-backends/index.ts', async (importOriginal) => {
  const original = await importOriginal<typeof DemoBackendsModule>();
  return {
    ...original,
    startDemoBackends: async (...args: Parameters<typeof original.startDemoBackends>) => {
      const demo = await original.startDemoBackends(...args);
      demos.push(demo);
      return demo;
    },
  };
});

const env = { PORT: '0', STORE: 'memory', LOG_LEVEL: 'silent' } as const;
const BAD = './tests/unit/plugin-authoring/fixtures/bad-timeout.ts';
const EXAMPLE = './examples/plugins/weather/index.ts,./examples/plugins/what_to_wear/index.ts';

/** Whether something still answers at `url`. */
const answers = (url: string) =>
  fetch(url).then(
    () => true,
    () => false,
  );

describe('startPlatform with PLUGINS', () => {
  afterEach(async () => {
    // Whatever a test left running (close is safe to call twice).
    await Promise.all(demos.splice(0).map((demo) => demo.close()));
  });

  it('refuses to start when a module is invalid, naming it and what is wrong', async () => {
    await expect(startPlatform({ ...env, PLUGINS: BAD })).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      message:
        `PLUGINS: ${BAD}: tool shout: ` +
        'timeoutMs must be a positive integer number of milliseconds up to 2147483647, got number 0',
    });
  });

  it('refuses to start when a plugin takes a built-in name', async () => {
    const PLUGINS = './tests/unit/plugin-authoring/fixtures/builtin-name.ts';
    await expect(startPlatform({ ...env, PLUGINS })).rejects.toMatchObject({
      code: 'PLUGIN_DUPLICATE',
      message: expect.stringContaining('rag_search'),
    });
  });

  // Known leak: startPlatform starts the demo backends before it loads PLUGINS and does not close them when
  // a later step throws. `npm start` exits at once so nobody sees it; an embedder or a test keeps two servers.
  // When startPlatform cleans up after itself this starts failing: turn `it.fails` into `it`.
  it('closes the demo backends it started when it refuses to start', async () => {
    await expect(startPlatform({ ...env, PLUGINS: BAD })).rejects.toMatchObject({ code: 'PLUGIN_INVALID' });
    expect(demos).toHaveLength(1);
    expect(await answers(`${demos[0]?.ragUrl}/healthz`)).toBe(false);
  });

  it('starts with the worked example loaded and lists it in the catalogue', async () => {
    const platform = await startPlatform({ ...env, PLUGINS: EXAMPLE });
    try {
      const tools = (await (await fetch(`${platform.url}/v1/tools`)).json()) as {
        items: Array<{ name: string }>;
      };
      expect(tools.items).toContainEqual(
        expect.objectContaining({ name: 'weather', version: '1.0.0', input: expect.any(Object) }),
      );
      const flows = (await (await fetch(`${platform.url}/v1/flows`)).json()) as {
        items: Array<{ name: string }>;
      };
      expect(flows.items).toContainEqual(
        expect.objectContaining({ name: 'what_to_wear', tools: ['weather'] }),
      );
    } finally {
      await platform.close();
    }
    expect(await answers(`${demos[0]?.ragUrl}/healthz`)).toBe(false);
  });
});
