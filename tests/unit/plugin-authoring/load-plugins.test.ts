import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlugins, PluginRegistry } from '../../../core/index.ts';
import { builtinPlugins } from '../../../plugins/builtin.ts';

/** Specifiers are relative to the working directory: here, the repo root, as with `npm start`. */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = './tests/unit/plugin-authoring/fixtures';
const WEATHER = './examples/plugins/weather/index.ts';
const WHAT_TO_WEAR = './examples/plugins/what_to_wear/index.ts';

const load = (...specifiers: string[]) => loadPlugins(specifiers, REPO);
const withBuiltins = () =>
  new PluginRegistry().register(builtinPlugins({ ragUrl: 'http://rag.test', examUrl: 'http://exam.test' }));

describe('loadPlugins: the worked example', () => {
  it('loads the weather tool and the what_to_wear flow, which register next to the built-ins', async () => {
    const loaded = await load(WEATHER, WHAT_TO_WEAR);
    expect(loaded.map((plugin) => [plugin.kind, plugin.name])).toEqual([
      ['tool', 'weather'],
      ['flow', 'what_to_wear'],
    ]);
    const registry = withBuiltins().register(loaded).validate();
    expect(registry.tools().map((tool) => tool.name)).toContain('weather');
    expect(registry.flows().map((flow) => flow.name)).toEqual([
      'answer',
      'auto',
      'grade',
      'quiz',
      'what_to_wear',
    ]);
  });

  it('takes an absolute path too', async () => {
    const [tool] = await loadPlugins([join(REPO, WEATHER)]);
    expect(tool?.name).toBe('weather');
  });

  it('refuses the flow without the tool it calls, when the registry is validated', async () => {
    const loaded = await load(WHAT_TO_WEAR);
    expect(() => withBuiltins().register(loaded).validate()).toThrow(
      expect.objectContaining({
        code: 'PLUGIN_DEPENDENCY_MISSING',
        message: 'flow what_to_wear needs tool weather, which is not registered',
      }),
    );
  });

  it('loads a CommonJS module’s `exports.plugins`', async () => {
    const [tool] = await load(`${FIXTURES}/commonjs-plugins.cjs`);
    expect(tool).toMatchObject({ kind: 'tool', name: 'cjs_echo' });
    expect(
      new PluginRegistry()
        .register(tool!)
        .tools()
        .map((entry) => entry.name),
    ).toEqual(['cjs_echo']);
  });

  it('loads the plugins a module exports as `plugins`', async () => {
    const loaded = await load(`${FIXTURES}/named-plugins.ts`);
    expect(loaded.map((plugin) => plugin.name)).toEqual(['shout']);
  });
});

describe('loadPlugins: refusals name the module and say what is wrong', () => {
  it.each([
    [
      'a module that exports no plugin',
      `${FIXTURES}/no-plugin-export.ts`,
      `PLUGINS: ${FIXTURES}/no-plugin-export.ts: exports no plugin ` +
        '(expected a default export made by defineTool or defineFlow)',
    ],
    [
      'a module that exports the factory, not the tool',
      `${FIXTURES}/exports-factory.ts`,
      `PLUGINS: ${FIXTURES}/exports-factory.ts: ` +
        'a plugin must be an object made by defineTool or defineFlow, got a function',
    ],
    [
      'a tool with an invalid field',
      `${FIXTURES}/bad-timeout.ts`,
      `PLUGINS: ${FIXTURES}/bad-timeout.ts: tool shout: ` +
        'timeoutMs must be a positive integer number of milliseconds up to 2147483647, got number 0',
    ],
    [
      'a module that throws while it loads',
      `${FIXTURES}/bad-url.ts`,
      `PLUGINS: ${FIXTURES}/bad-url.ts: cannot be loaded: weather: baseUrl must be an absolute http(s) URL`,
    ],
  ])('%s', async (_case, specifier, message) => {
    await expect(load(specifier)).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      field: 'PLUGINS',
      message,
    });
  });

  it('a file that does not exist', async () => {
    const specifier = `${FIXTURES}/does-not-exist.ts`;
    await expect(load(specifier)).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      field: 'PLUGINS',
      message: expect.stringMatching(
        new RegExp(`^PLUGINS: ${specifier}: cannot be loaded: .*does-not-exist`),
      ),
    });
  });

  it('a package that is not installed', async () => {
    await expect(load('@acme/tributary-weather')).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      message: expect.stringMatching(
        /^PLUGINS: @acme\/tributary-weather: cannot be loaded: .*@acme\/tributary-weather/,
      ),
    });
  });

  it('keeps which field of which plugin is wrong in details', async () => {
    await expect(load(`${FIXTURES}/bad-timeout.ts`)).rejects.toMatchObject({
      details: { plugin_field: 'tool shout: timeoutMs' },
    });
  });

  it('loads a plugin named like a built-in, which the registry then refuses as a duplicate', async () => {
    const loaded = await load(`${FIXTURES}/builtin-name.ts`);
    expect(() => withBuiltins().register(loaded)).toThrow(
      expect.objectContaining({ code: 'PLUGIN_DUPLICATE', message: 'tool rag_search is registered twice' }),
    );
  });
});
