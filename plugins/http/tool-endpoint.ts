import { TributaryError } from '../../core/errors.ts';

/**
 * The URL of one backend operation: `baseUrl` (which may carry a path prefix) joined with `path`.
 * `option` names the setting in the error (`baseUrl`).
 * Checked when the tool is made, so a bad `RAG_URL` stops the process at start with `CONFIG_INVALID`,
 * not every run later.
 *
 * @example
 * ```ts
 * toolEndpoint('rag_search', 'http://rag.local/v2/', '/search'); // 'http://rag.local/v2/search'
 * toolEndpoint('rag_search', 'rag.local', '/search'); // throws CONFIG_INVALID: rag_search: baseUrl must be …
 * ```
 */
export function toolEndpoint(tool: string, baseUrl: string, path: string, option = 'baseUrl'): string {
  if (!isHttpUrl(baseUrl)) {
    // The value itself is not echoed: a base URL may carry credentials.
    throw new TributaryError('CONFIG_INVALID', `${tool}: ${option} must be an absolute http(s) URL`, {
      field: `${tool}.${option}`,
    });
  }
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
