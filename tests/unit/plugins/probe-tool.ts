import { defineTool } from '../../../core/plugins/plugin.ts';
import type { ToolDefinition } from '../../../core/plugins/plugin.ts';
import { httpToolPolicy, postJson, toolEndpoint } from '../../../plugins/http/index.ts';
import type { HttpToolOptions } from '../../../plugins/http/index.ts';

/** A minimal HTTP tool built on the kit, as a plugin author would write one: POSTs its input to `/call`. */
export function probeTool(
  options: HttpToolOptions & { headers?: Record<string, string> },
): ToolDefinition<{ q: string }, Record<string, unknown>> {
  const url = toolEndpoint('probe', options.baseUrl, '/call');
  const { timeoutMs, maxBytes, headers } = options;
  return defineTool<{ q: string }, Record<string, unknown>>({
    name: 'probe',
    version: '1.0.0',
    description: 'Posts its input to a JSON backend through the HTTP kit',
    input: {
      type: 'object',
      properties: { q: { type: 'string' } },
      required: ['q'],
      additionalProperties: false,
    },
    output: { type: 'object' },
    ...httpToolPolicy('probe', options),
    execute: (body, ctx) =>
      postJson<Record<string, unknown>>(ctx, { tool: 'probe', url, body, timeoutMs, maxBytes, headers }),
  });
}
