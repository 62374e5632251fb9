import type { HttpContext, JsonCallOptions } from './request-json.ts';
import { requestJson } from './request-json.ts';

/**
 * POSTs `body` as JSON and resolves to the JSON object answered; see {@link requestJson} for limits and errors.
 *
 * @example
 * ```ts
 * const { chunks } = await postJson<SearchResponse>(ctx, {
 *   tool: 'rag_search', url: `${baseUrl}/search`, body: { query, top_k: 4 }, timeoutMs: 5000,
 * });
 * ```
 */
export function postJson<T extends object>(
  ctx: HttpContext,
  options: JsonCallOptions & { body: unknown },
): Promise<T> {
  return requestJson<T>(ctx, { ...options, method: 'POST' });
}
