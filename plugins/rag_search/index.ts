import { defineTool } from '../../core/plugins/plugin.ts';
import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import type { RagSearchInput, RagSearchOutput, SearchRequest, SearchResponse } from '../contracts.ts';
import { httpToolPolicy, postJson, toolEndpoint } from '../http/index.ts';
import type { HttpToolOptions } from '../http/index.ts';
import { DEFAULT_TOP_K, ragSearchInput, ragSearchOutput } from './schema.ts';

const NAME = 'rag_search';

/**
 * Makes the `rag_search` tool: finds passages of course material for a query with `POST {baseUrl}/search`
 * on the RAG backend. One retry for network errors, timeouts and 502/503/504 (see the HTTP kit).
 *
 * @example
 * ```ts
 * registry.register(ragSearch({ baseUrl: config.RAG_URL }));
 * ctx.callTool<RagSearchOutput>('rag_search', { query: 'RxJS operators' }); // top_k defaults to 4
 * ```
 */
export function ragSearch(options: HttpToolOptions): ToolDefinition<RagSearchInput, RagSearchOutput> {
  const url = toolEndpoint(NAME, options.baseUrl, '/search');
  const { timeoutMs, maxBytes } = options;
  return defineTool<RagSearchInput, RagSearchOutput>({
    name: NAME,
    version: '1.0.0',
    description:
      'Searches the course material for passages relevant to a query and returns the best `top_k` ' +
      '(default 4, at most 20) with their source and relevance score.',
    input: ragSearchInput,
    output: ragSearchOutput,
    ...httpToolPolicy(NAME, options),
    async execute({ query, top_k = DEFAULT_TOP_K }, ctx) {
      ctx.progress(`searching for "${query}"`, { top_k });
      const body: SearchRequest = { query, top_k };
      const reply = await postJson<SearchResponse>(ctx, { tool: NAME, url, body, timeoutMs, maxBytes });
      // The reply is unchecked until the output schema sees it: count only what is really there.
      if (Array.isArray(reply.chunks)) {
        const n = reply.chunks.length;
        ctx.progress(`found ${n} ${n === 1 ? 'chunk' : 'chunks'}`, { count: n });
      }
      return { chunks: reply.chunks };
    },
  });
}
