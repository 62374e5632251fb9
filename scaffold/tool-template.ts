import type { TemplateVars } from './template-vars.ts';

/**
 * The source of a new plugin's `index.ts`: an HTTP tool in the shape of `examples/plugins/weather`, with
 * JSON Schemas, progress, cancellation through the HTTP kit, and a default export bound to `<NAME>_URL`.
 *
 * @example
 * ```ts
 * await writeFile('plugins/stock_quote/index.ts', toolTemplate(templateVars('stock_quote', …)));
 * ```
 */
export function toolTemplate(v: TemplateVars): string {
  return `import { defineTool } from '${v.imports.core}';
import type { JsonSchema, ToolDefinition } from '${v.imports.core}';
import { httpToolPolicy, postJson, toolEndpoint } from '${v.imports.http}';
import type { HttpToolOptions } from '${v.imports.http}';

/** Where the ${v.name} service is called when \`${v.envVar}\` is unset. */
export const ${v.defaultUrlConst} = 'http://127.0.0.1:8200';
const NAME = '${v.name}';

// TODO: say what ${v.name} takes and returns; keep these types and the schemas below in step.
export interface ${v.typeName}Input {
  /** What to send to the service. */
  text: string;
}

export interface ${v.typeName}Output {
  result: string;
}

/** \`${v.typeName}Input\`. No extra properties: a typo in a flow's call is refused, not silently ignored. */
const input = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    text: { type: 'string', minLength: 1, maxLength: 2_000, description: 'What to send to the service' },
  },
  required: ['text'],
  additionalProperties: false,
} as const satisfies JsonSchema;

/** \`${v.typeName}Output\`. The core checks every output against it before a flow (or a user) sees it. */
const output = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { result: { type: 'string' } },
  required: ['result'],
} as const satisfies JsonSchema;

/**
 * Makes the \`${v.name}\` tool: sends its input to \`POST {baseUrl}/${v.name}\` and returns the answer.
 * One retry for blips (network errors, timeouts, 502/503/504); a cancelled run aborts the request.
 *
 * @example
 * \`\`\`ts
 * const tool = ${v.factory}({ baseUrl: 'http://127.0.0.1:8200' });
 * ctx.callTool<${v.typeName}Output>('${v.name}', { text: 'hello' }); // from a flow
 * \`\`\`
 */
export function ${v.factory}(options: HttpToolOptions): ToolDefinition<${v.typeName}Input, ${v.typeName}Output> {
  // Checked here, so a bad ${v.envVar} stops the process at start rather than failing every call.
  const url = toolEndpoint(NAME, options.baseUrl, '/${v.name}');
  const { timeoutMs, maxBytes } = options;
  return defineTool<${v.typeName}Input, ${v.typeName}Output>({
    name: NAME,
    version: '0.1.0',
    // TODO: say in a sentence what it does: flow authors and GET /v1/tools read this.
    description: 'Sends text to the ${v.name} service and returns its answer.',
    input,
    output,
    ...httpToolPolicy(NAME, options),
    async execute({ text }, ctx) {
      ctx.progress(\`sending \${text.length} characters to ${v.name}\`, { chars: text.length });
      // \`ctx\` carries the call's signal: a cancel aborts the request and the kit rethrows the cancel as is.
      const reply = await postJson<${v.typeName}Output>(ctx, { tool: NAME, url, body: { text }, timeoutMs, maxBytes });
      ctx.progress('${v.name} answered');
      return { result: reply.result };
    },
  });
}

/** What \`PLUGINS=${v.pluginsPath}\` loads. An empty \`${v.envVar}\` counts as unset. */
export default ${v.factory}({ baseUrl: process.env.${v.envVar} || ${v.defaultUrlConst} });
`;
}
