import { createTributaryClient, type TributaryClient } from '../api-client.ts';
import { unreachableError } from './api-error.ts';
import type { GlobalOptions } from './global-options.ts';

/**
 * The typed client for the CLI's `--url` and `--api-key`; a gateway that cannot be reached throws
 * `cannot reach <url>: is the server running? (tributary serve)` instead of fetch's `fetch failed`.
 *
 * @example
 * ```ts
 * const api = connectApi({ url: 'http://127.0.0.1:3000', json: false });
 * const sessions = unwrap(await api.GET('/v1/sessions', {}));
 * ```
 */
export function connectApi(options: Pick<GlobalOptions, 'url' | 'apiKey'>): TributaryClient {
  const reaching: typeof fetch = (input, init) =>
    fetch(input, init).catch((error: unknown) => {
      throw unreachableError(options.url, error);
    });
  return createTributaryClient({ baseUrl: options.url, apiKey: options.apiKey, fetch: reaching });
}
