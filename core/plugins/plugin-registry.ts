import type { Ajv2020 } from 'ajv/dist/2020.js';
import { TributaryError } from '../errors.ts';
import type { FlowDefinition, JsonSchema, Plugin, ToolDefinition } from './plugin.ts';
import { assertPlugin } from './plugin-validation.ts';
import { compileSchema, createAjv } from './schema-validator.ts';
import type { ValidateFunction } from './schema-validator.ts';

/** What a tool gets for each optional setting it leaves out (documented on {@link ToolDefinition}). */
export const TOOL_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  retries: 0,
  retryDelayMs: 200,
  requiresApproval: false,
  approvalTimeoutMs: 300_000,
});

/** A tool as registered: defaults filled in and schemas compiled once, ready for every call. */
export interface RegisteredTool extends Required<ToolDefinition<unknown, unknown>> {
  readonly validateInput: ValidateFunction;
  readonly validateOutput: ValidateFunction;
}

/** A flow as registered: its input schema compiled once. */
export interface RegisteredFlow extends Required<FlowDefinition<unknown>> {
  readonly validateInput: ValidateFunction;
}

/** One row of `GET /v1/tools` or `GET /v1/flows`. */
export interface CatalogueEntry {
  name: string;
  version: string;
  description: string;
  input: JsonSchema;
  output?: JsonSchema;
  requiresApproval?: boolean;
  tools?: readonly string[];
}

export interface PluginRegistryOptions {
  /** The Ajv instance schemas compile into; each registry gets its own by default so `$id`s cannot collide across registries. */
  ajv?: Ajv2020;
}

/**
 * Holds the tools and flows a process can run (after fastify's plugin checks): each plugin is checked
 * and its schemas compiled when it is registered, so a bad plugin stops the process at start, not a run at 3 a.m.
 * Tools and flows have separate namespaces.
 *
 * @example
 * ```ts
 * const registry = new PluginRegistry().register(shout, [ragSearch, generateExam], quizFlow).validate();
 * registry.tool('shout').validateInput({ text: 'hi' }); // true
 * registry.flows().map((f) => f.name); // ['quiz']
 * ```
 */
export class PluginRegistry {
  readonly #ajv: Ajv2020;
  readonly #tools = new Map<string, RegisteredTool>();
  readonly #flows = new Map<string, RegisteredFlow>();

  constructor(options: PluginRegistryOptions = {}) {
    this.#ajv = options.ajv ?? createAjv();
  }

  /**
   * Checks and adds plugins (arrays are flattened one level). All or nothing: when one plugin is bad
   * the call throws `PLUGIN_INVALID`, `PLUGIN_DUPLICATE` or `PLUGIN_SCHEMA_INVALID` and the registry is unchanged.
   * Cross-references are checked later by {@link PluginRegistry.validate}, so plugins may come in any order.
   */
  register(...plugins: Array<Plugin | readonly Plugin[]>): this {
    const tools = new Map<string, RegisteredTool>();
    const flows = new Map<string, RegisteredFlow>();
    const compiled: JsonSchema[] = [];
    try {
      for (const plugin of plugins.flat()) {
        assertPlugin(plugin);
        if (plugin.kind === 'tool') {
          this.#assertFree('tool', plugin.name, this.#tools.has(plugin.name) || tools.has(plugin.name));
          tools.set(plugin.name, this.#compileTool(plugin, compiled));
        } else {
          this.#assertFree('flow', plugin.name, this.#flows.has(plugin.name) || flows.has(plugin.name));
          flows.set(plugin.name, this.#compileFlow(plugin, compiled));
        }
      }
    } catch (error) {
      this.#forget(compiled);
      throw error;
    }
    for (const [name, tool] of tools) this.#tools.set(name, tool);
    for (const [name, flow] of flows) this.#flows.set(name, flow);
    return this;
  }

  /**
   * Checks cross-references once everything is registered: every tool a flow lists and every tool
   * dependency must exist, else `PLUGIN_DEPENDENCY_MISSING` naming who needs what.
   */
  validate(): this {
    const missing: Array<{ field: string; text: string }> = [];
    for (const flow of this.#flows.values()) {
      for (const needed of flow.tools) {
        if (!this.#tools.has(needed)) {
          missing.push({ field: `flow ${flow.name}: tools`, text: `flow ${flow.name} needs tool ${needed}` });
        }
      }
    }
    for (const tool of this.#tools.values()) {
      for (const needed of tool.dependencies) {
        if (!this.#tools.has(needed)) {
          missing.push({
            field: `tool ${tool.name}: dependencies`,
            text: `tool ${tool.name} needs tool ${needed}`,
          });
        }
      }
    }
    const first = missing[0];
    if (first !== undefined) {
      const texts = missing.map((m) => `${m.text}, which is not registered`);
      throw new TributaryError('PLUGIN_DEPENDENCY_MISSING', texts.join('; '), {
        field: first.field,
        details: { missing: texts },
      });
    }
    return this;
  }

  /** The registered tool, or `TOOL_NOT_FOUND`. */
  tool(name: string): RegisteredTool {
    const tool = this.#tools.get(name);
    if (tool === undefined) {
      throw new TributaryError('TOOL_NOT_FOUND', `tool ${JSON.stringify(name)} is not registered`, {
        field: 'tool',
      });
    }
    return tool;
  }

  /** The registered flow, or `FLOW_NOT_FOUND`. */
  flow(name: string): RegisteredFlow {
    const flow = this.#flows.get(name);
    if (flow === undefined) {
      throw new TributaryError('FLOW_NOT_FOUND', `flow ${JSON.stringify(name)} is not registered`, {
        field: 'flow',
      });
    }
    return flow;
  }

  hasTool(name: string): boolean {
    return this.#tools.has(name);
  }

  hasFlow(name: string): boolean {
    return this.#flows.has(name);
  }

  /** The tool catalogue, sorted by name. */
  tools(): CatalogueEntry[] {
    return sortedByName(this.#tools).map((t) => ({
      name: t.name,
      version: t.version,
      description: t.description,
      input: t.input,
      output: t.output,
      requiresApproval: t.requiresApproval,
    }));
  }

  /** The flow catalogue, sorted by name. */
  flows(): CatalogueEntry[] {
    return sortedByName(this.#flows).map((f) => ({
      name: f.name,
      version: f.version,
      description: f.description,
      input: f.input,
      tools: f.tools,
    }));
  }

  #assertFree(kind: 'tool' | 'flow', name: string, taken: boolean): void {
    if (taken) {
      throw new TributaryError('PLUGIN_DUPLICATE', `${kind} ${name} is registered twice`, {
        field: `${kind} ${name}: name`,
      });
    }
  }

  #compileTool(definition: ToolDefinition<never, unknown>, compiled: JsonSchema[]): RegisteredTool {
    const where = `tool ${definition.name}`;
    const validateInput = this.#compile(definition.input, `${where}: input schema`, compiled);
    const validateOutput = this.#compile(definition.output, `${where}: output schema`, compiled);
    return Object.freeze({
      kind: 'tool',
      name: definition.name,
      version: definition.version,
      description: definition.description,
      input: definition.input,
      output: definition.output,
      timeoutMs: definition.timeoutMs ?? TOOL_DEFAULTS.timeoutMs,
      retries: definition.retries ?? TOOL_DEFAULTS.retries,
      retryDelayMs: definition.retryDelayMs ?? TOOL_DEFAULTS.retryDelayMs,
      requiresApproval: definition.requiresApproval ?? TOOL_DEFAULTS.requiresApproval,
      approvalTimeoutMs: definition.approvalTimeoutMs ?? TOOL_DEFAULTS.approvalTimeoutMs,
      dependencies: Object.freeze([...(definition.dependencies ?? [])]),
      validateInput,
      validateOutput,
      // Callers pass only input that passed `validateInput`, i.e. the `I` the author typed: this is where that claim is made.
      execute: (input, ctx) => definition.execute(input as never, ctx),
    } satisfies RegisteredTool);
  }

  #compileFlow(definition: FlowDefinition<never>, compiled: JsonSchema[]): RegisteredFlow {
    const validateInput = this.#compile(definition.input, `flow ${definition.name}: input schema`, compiled);
    return Object.freeze({
      kind: 'flow',
      name: definition.name,
      version: definition.version,
      description: definition.description,
      input: definition.input,
      tools: Object.freeze([...(definition.tools ?? [])]),
      validateInput,
      // Same claim as for tools: the run validates the flow's input before it starts the flow.
      execute: (input, ctx) => definition.execute(input as never, ctx),
    } satisfies RegisteredFlow);
  }

  #compile(schema: JsonSchema, where: string, compiled: JsonSchema[]): ValidateFunction {
    // Recorded before compiling: Ajv keeps a schema's `$id` even when compiling it fails.
    compiled.push(schema);
    return compileSchema(schema, where, this.#ajv);
  }

  /** Undoes a failed `register`: Ajv remembers schemas and their `$id`s, which would clash on the next try. */
  #forget(schemas: readonly JsonSchema[]): void {
    const inUse = new Set<JsonSchema>();
    for (const tool of this.#tools.values()) inUse.add(tool.input).add(tool.output);
    for (const flow of this.#flows.values()) inUse.add(flow.input);
    const idsInUse = new Set([...inUse].map(schemaId));
    for (const schema of schemas) {
      const id = schemaId(schema);
      // Removing by object also drops its `$id`; never drop one a registered plugin still owns.
      if (!inUse.has(schema) && (id === undefined || !idsInUse.has(id))) this.#ajv.removeSchema(schema);
    }
  }
}

function schemaId(schema: JsonSchema): string | undefined {
  return typeof schema.$id === 'string' ? schema.$id.replace(/#$/, '') : undefined;
}

function sortedByName<T extends { name: string }>(entries: ReadonlyMap<string, T>): T[] {
  return [...entries.values()].sort((a, b) => a.name.localeCompare(b.name));
}
