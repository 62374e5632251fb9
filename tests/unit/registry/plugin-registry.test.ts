import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../core/errors.ts';
import { TributaryError } from '../../../core/errors.ts';
import { defineFlow, defineTool } from '../../../core/plugins/plugin.ts';
import type { FlowDefinition, Plugin } from '../../../core/plugins/plugin.ts';
import { PluginRegistry, TOOL_DEFAULTS } from '../../../core/plugins/plugin-registry.ts';
import { assertPlugin } from '../../../core/plugins/plugin-validation.ts';
import { shoutTool } from './scope.ts';

function quizFlow(overrides: Partial<Omit<FlowDefinition, 'kind'>> = {}): FlowDefinition {
  return defineFlow({
    name: 'quiz',
    version: '2.0.0',
    description: 'Quizzes the user',
    input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
    tools: ['shout'],
    execute: () => of({ type: 'result', result: null } as const),
    ...overrides,
  });
}

/** Runs `fn`, expecting a TributaryError with `code`; returns it for closer checks. */
function thrown(code: ErrorCode, fn: () => unknown): TributaryError {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error;
    expect(error.code).toBe(code);
    return error;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

/** A plugin-shaped value with fields a TypeScript author could not write, as a JS plugin could. */
function raw(fields: Record<string, unknown>): Plugin {
  return { ...shoutTool(), ...fields } as unknown as Plugin;
}

describe('PluginRegistry.register', () => {
  it('keeps a tool with defaults filled in and compiled validators', () => {
    const registry = new PluginRegistry().register(shoutTool());
    const tool = registry.tool('shout');
    expect(tool).toMatchObject({
      kind: 'tool',
      name: 'shout',
      version: '1.0.0',
      dependencies: [],
      ...TOOL_DEFAULTS,
    });
    expect(tool.validateInput({ text: 'hi' })).toBe(true);
    expect(tool.validateInput({ text: 1 })).toBe(false);
    expect(tool.validateOutput({ upper: 'HI' })).toBe(true);
    expect(tool.validateOutput({})).toBe(false);
    expect(Object.isFrozen(tool)).toBe(true);
  });

  it('keeps the settings a tool gives', () => {
    const registry = new PluginRegistry().register(
      shoutTool({ timeoutMs: 50, retries: 3, retryDelayMs: 5, requiresApproval: true, approvalTimeoutMs: 9 }),
    );
    expect(registry.tool('shout')).toMatchObject({
      timeoutMs: 50,
      retries: 3,
      retryDelayMs: 5,
      requiresApproval: true,
      approvalTimeoutMs: 9,
    });
  });

  it('takes plugins and arrays of plugins, tools and flows in any order', () => {
    const registry = new PluginRegistry().register([quizFlow()], shoutTool()).validate();
    expect(registry.hasFlow('quiz')).toBe(true);
    expect(registry.hasTool('shout')).toBe(true);
    expect(registry.flow('quiz').validateInput({ question: 'q' })).toBe(true);
    expect(registry.flow('quiz').validateInput({})).toBe(false);
  });

  it('refuses a second tool or flow of the same name', () => {
    const registry = new PluginRegistry().register(shoutTool(), quizFlow());
    const tool = thrown('PLUGIN_DUPLICATE', () => registry.register(shoutTool({ version: '2.0.0' })));
    expect(tool).toMatchObject({ field: 'tool shout: name', message: 'tool shout is registered twice' });
    expect(registry.tool('shout').version).toBe('1.0.0');
    thrown('PLUGIN_DUPLICATE', () => registry.register(quizFlow()));
    thrown('PLUGIN_DUPLICATE', () => new PluginRegistry().register(shoutTool(), shoutTool()));
  });

  it('keeps tools and flows in separate namespaces', () => {
    const registry = new PluginRegistry().register(shoutTool(), quizFlow({ name: 'shout' }));
    expect(registry.tool('shout').kind).toBe('tool');
    expect(registry.flow('shout').kind).toBe('flow');
  });

  it.each([
    [{ kind: 'agent' }, 'plugin: kind', 'kind must be "tool" or "flow", got "agent"'],
    [{ name: 'Shout' }, 'tool: name', 'tool name must match /^[a-z][a-z0-9_]{0,63}$/, got "Shout"'],
    [{ name: 'a'.repeat(65) }, 'tool: name', 'tool name must match'],
    [{ name: 7 }, 'tool: name', 'got number 7'],
    [{ version: '' }, 'tool shout: version', 'tool shout: version must be a non-empty string, got ""'],
    [{ description: undefined }, 'tool shout: description', 'must be a string, got nothing'],
    [{ input: [] }, 'tool shout: input', 'must be a JSON Schema object, got an array'],
    [{ output: 'string' }, 'tool shout: output', 'must be a JSON Schema object, got "string"'],
    [{ output: new Map() }, 'tool shout: output', 'got an instance of Map'],
    [{ execute: 'run' }, 'tool shout: execute', 'must be a function, got "run"'],
    [{ timeoutMs: -5 }, 'tool shout: timeoutMs', 'must be a positive integer number of milliseconds'],
    [{ timeoutMs: 1.5 }, 'tool shout: timeoutMs', 'got number 1.5'],
    [{ timeoutMs: 2 ** 31 }, 'tool shout: timeoutMs', 'up to 2147483647'],
    [{ retryDelayMs: 0 }, 'tool shout: retryDelayMs', 'got number 0'],
    [{ approvalTimeoutMs: '1000' }, 'tool shout: approvalTimeoutMs', 'got "1000"'],
    [{ retries: 11 }, 'tool shout: retries', 'must be an integer from 0 to 10, got number 11'],
    [{ retries: -1 }, 'tool shout: retries', 'got number -1'],
    [{ requiresApproval: 'yes' }, 'tool shout: requiresApproval', 'must be a boolean'],
    [{ dependencies: 'rag' }, 'tool shout: dependencies', 'must be an array of tool names, got "rag"'],
    [{ dependencies: [1] }, 'tool shout: dependencies', 'got an array'],
    [{ kind: 'flow', tools: [null] }, 'flow shout: tools', 'must be an array of tool names'],
  ])('refuses %o, naming %s', (fields, field, message) => {
    const error = thrown('PLUGIN_INVALID', () => new PluginRegistry().register(raw(fields)));
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('refuses a value that is not a plugin object at all', () => {
    expect(thrown('PLUGIN_INVALID', () => assertPlugin(null)).field).toBe('plugin');
    expect(thrown('PLUGIN_INVALID', () => assertPlugin(() => 1)).message).toContain('got a function');
  });

  it('refuses a schema that does not compile, saying whose and which', () => {
    const error = thrown('PLUGIN_SCHEMA_INVALID', () =>
      new PluginRegistry().register(shoutTool({ output: { type: 'object', propertes: {} } })),
    );
    expect(error.field).toBe('tool shout: output schema');
    expect(error.message).toMatch(/^tool shout: output schema: strict mode: unknown keyword: "propertes"/);
    const flow = thrown('PLUGIN_SCHEMA_INVALID', () =>
      new PluginRegistry().register(quizFlow({ input: { type: 'strng' } })),
    );
    expect(flow.message).toMatch(/^flow quiz: input schema: /);
  });

  it('is unchanged after a failed register, so the fixed plugins register cleanly', () => {
    const registry = new PluginRegistry();
    const good = shoutTool({ name: 'good', input: { $id: 'urn:test:good-input', type: 'object' } });
    const bad = shoutTool({ name: 'bad', output: { type: 'nope' } });
    thrown('PLUGIN_SCHEMA_INVALID', () => registry.register(good, bad));
    expect(registry.hasTool('good')).toBe(false);
    expect(registry.tools()).toEqual([]);

    // New objects with the same `$id`, as when a plugin file is fixed and loaded again.
    const goodAgain = shoutTool({ name: 'good', input: { $id: 'urn:test:good-input', type: 'object' } });
    registry.register(goodAgain, shoutTool({ name: 'bad' }));
    expect(registry.tools().map((t) => t.name)).toEqual(['bad', 'good']);
  });

  it('does not let a failed register take away a registered schema id', () => {
    const registry = new PluginRegistry().register(
      shoutTool({ name: 'first', input: { $id: 'urn:test:shared', type: 'object' } }),
    );
    const clash = thrown('PLUGIN_SCHEMA_INVALID', () =>
      registry.register(shoutTool({ name: 'second', input: { $id: 'urn:test:shared', type: 'object' } })),
    );
    expect(clash.message).toContain('urn:test:shared');
    // Still owned by `first`: a schema referring to it compiles.
    registry.register(shoutTool({ name: 'third', input: { $ref: 'urn:test:shared' } }));
    expect(registry.tool('third').validateInput({})).toBe(true);
    expect(registry.tool('third').validateInput('text')).toBe(false);
  });
});

describe('PluginRegistry.validate', () => {
  it('passes when every reference exists', () => {
    const registry = new PluginRegistry().register(
      quizFlow(),
      shoutTool(),
      shoutTool({ name: 'whisper', dependencies: ['shout'] }),
    );
    expect(registry.validate()).toBe(registry);
  });

  it('names the flow that needs a missing tool', () => {
    const error = thrown('PLUGIN_DEPENDENCY_MISSING', () =>
      new PluginRegistry().register(quizFlow()).validate(),
    );
    expect(error).toMatchObject({
      field: 'flow quiz: tools',
      message: 'flow quiz needs tool shout, which is not registered',
    });
  });

  it('names every tool dependency that is missing', () => {
    const registry = new PluginRegistry().register(
      shoutTool({ dependencies: ['rag_search', 'llm'] }),
      defineTool({ ...shoutTool(), name: 'grade', dependencies: ['shout'] }),
    );
    const error = thrown('PLUGIN_DEPENDENCY_MISSING', () => registry.validate());
    expect(error.field).toBe('tool shout: dependencies');
    expect(error.details?.missing).toEqual([
      'tool shout needs tool rag_search, which is not registered',
      'tool shout needs tool llm, which is not registered',
    ]);
  });
});

describe('PluginRegistry lookups and catalogue', () => {
  it('throws coded not-found errors naming the field', () => {
    const registry = new PluginRegistry();
    expect(thrown('TOOL_NOT_FOUND', () => registry.tool('nope'))).toMatchObject({
      field: 'tool',
      kind: 'not_found',
      message: 'tool "nope" is not registered',
    });
    expect(thrown('FLOW_NOT_FOUND', () => registry.flow('nope')).field).toBe('flow');
    expect(registry.hasFlow('nope')).toBe(false);
  });

  it('lists tools and flows by name with their schemas', () => {
    const registry = new PluginRegistry().register(
      shoutTool({ name: 'zeta', requiresApproval: true }),
      shoutTool(),
      quizFlow(),
    );
    const shout = shoutTool();
    expect(registry.tools()).toEqual([
      {
        name: 'shout',
        version: '1.0.0',
        description: 'Upper-cases text',
        input: shout.input,
        output: shout.output,
        requiresApproval: false,
      },
      expect.objectContaining({ name: 'zeta', requiresApproval: true }),
    ]);
    expect(registry.flows()).toEqual([
      {
        name: 'quiz',
        version: '2.0.0',
        description: 'Quizzes the user',
        input: quizFlow().input,
        tools: ['shout'],
      },
    ]);
    // The catalogue is served as JSON: it must survive a round trip.
    expect(JSON.parse(JSON.stringify(registry.flows()))).toEqual(registry.flows());
  });
});
