import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import type { RagSearchInput, RagSearchOutput, SearchRequest, SearchResponse } from '../contracts.ts';
import { defineHttpTool } from '../http/index.ts';
import type { HttpToolOptions } from '../http/index.ts';
import { DEFAULT_TOP_K } from '../exam-schemas.ts';
import { ragSearchInput, ragSearchOutput } from './schema.ts';

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
  return defineHttpTool<RagSearchInput, RagSearchOutput, SearchRequest, SearchResponse>({
    ...options,
    name: 'rag_search',
    version: '1.0.0',
    description:
      'Searches the course material for passages relevant to a query and returns the best `top_k` ' +
      '(default 4, at most 20) with their source and relevance score.',
    input: ragSearchInput,
    output: ragSearchOutput,
    path: '/search',
    toBody: ({ query, top_k = DEFAULT_TOP_K }) => ({ query, top_k }),
    fromResponse: ({ chunks }) => ({ chunks }),
    progress: {
      request: ({ query, top_k }) => [`searching for "${query}"`, { top_k }],
      response({ chunks }) {
        if (!Array.isArray(chunks)) return undefined;
        const n = chunks.length;
        return [`found ${n} ${n === 1 ? 'chunk' : 'chunks'}`, { count: n }];
      },
    },
  });
}
