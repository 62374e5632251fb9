import type { HttpContext, JsonCallOptions } from './request-json.ts';
import { requestJson } from './request-json.ts';

/**
 * GETs a JSON object; see {@link requestJson} for limits and errors.
 *
 * @example
 * ```ts
 * const health = await getJson<{ ok: boolean }>(ctx, { tool: 'rag_search', url: `${baseUrl}/healthz` });
 * ```
 */
export function getJson<T extends object>(ctx: HttpContext, options: JsonCallOptions): Promise<T> {
  return requestJson<T>(ctx, { ...options, method: 'GET' });
}
