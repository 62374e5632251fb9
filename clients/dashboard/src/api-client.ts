import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../../../openapi/schema.d.ts';

export type Api = Client<paths>;

/**
 * The REST client, typed from the OpenAPI spec, on the page's own origin. The API key is read at
 * each request, so changing it in the header field applies at once.
 *
 * @example
 * ```ts
 * const api = createApi(() => apiKey);
 * const { data, error } = await api.GET('/v1/flows');
 * ```
 */
export function createApi(apiKey: () => string): Api {
  const api = createClient<paths>({ baseUrl: location.origin });
  api.use({
    onRequest({ request }) {
      const key = apiKey();
      if (key) request.headers.set('Authorization', `Bearer ${key}`);
      return request;
    },
  });
  return api;
}

/** A failed call in one line for the notice bar: the problem's detail, else its title, else the status. */
export function describeFailure(error: unknown, response: Response): string {
  if (typeof error === 'object' && error !== null) {
    const { detail, title } = error as { detail?: unknown; title?: unknown };
    if (typeof detail === 'string' && detail) return detail;
    if (typeof title === 'string' && title) return title;
  }
  return `HTTP ${response.status}`;
}
