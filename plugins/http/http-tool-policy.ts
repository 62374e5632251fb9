import { TributaryError } from '../../core/errors.ts';
import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS } from './request-json.ts';

/** What every HTTP tool factory takes. */
export interface HttpToolOptions {
  /** The backend's base URL, e.g. `RAG_URL`; may carry a path prefix. */
  baseUrl: string;
  /** Per HTTP call; the limit users see in timeout messages. Default 5000. */
  timeoutMs?: number;
  /** Largest response body read. Default 1 MiB. */
  maxBytes?: number;
}

/** The core's backoff before the one retry (doubling from here if a tool ever asks for more). */
export const HTTP_RETRY_DELAY_MS = 200;
/** How far past the kit's own timeout the core's per-attempt timeout sits: it is a backstop, not the limit. */
const CORE_TIMEOUT_MARGIN_MS = 1_000;

/**
 * The retry and timeout settings every HTTP tool spreads into `defineTool`: one retry after
 * {@link HTTP_RETRY_DELAY_MS} for the errors the kit marks `retryable`, and a per-attempt core timeout just
 * past the kit's, so users see the kit's message (`timeout after 5000 ms calling rag_search at …`) and the
 * core's timeout only fires for a tool that hangs outside its HTTP call. Also checks the numeric options,
 * so a bad value stops the process at start with `CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * defineTool({ name: 'rag_search', ...httpToolPolicy('rag_search', options), execute });
 * // { timeoutMs: 6000, retries: 1, retryDelayMs: 200 }
 * ```
 */
export function httpToolPolicy(
  tool: string,
  options: Pick<HttpToolOptions, 'timeoutMs' | 'maxBytes'> = {},
): Required<Pick<ToolDefinition, 'timeoutMs' | 'retries' | 'retryDelayMs'>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  assertPositiveInteger(tool, 'timeoutMs', timeoutMs);
  assertPositiveInteger(tool, 'maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES);
  return { timeoutMs: timeoutMs + CORE_TIMEOUT_MARGIN_MS, retries: 1, retryDelayMs: HTTP_RETRY_DELAY_MS };
}

function assertPositiveInteger(tool: string, key: string, value: number): void {
  if (Number.isSafeInteger(value) && value > 0) return;
  throw new TributaryError('CONFIG_INVALID', `${tool}: ${key} must be a positive integer, got ${value}`, {
    field: `${tool}.${key}`,
  });
}
