import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../openapi/schema.d.ts';

export type TributaryClient = Client<paths>;

export interface ClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` when the gateway has API_KEYS. */
  apiKey?: string;
  fetch?: typeof fetch;
}

/**
 * A typed client of the gateway, generated from `openapi/openapi.yaml` (openapi-fetch). A whole script
 * that runs a quiz with it, and runs outside the repo too, is `examples/client/quiz.mts`.
 *
 * @example
 * ```ts
 * const api = createTributaryClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.TRIBUTARY_API_KEY });
 * const { data: session } = await api.POST('/v1/sessions', { body: { user_id: 'ann' } });
 * const { data: run } = await api.POST('/v1/sessions/{session_id}/runs', {
 *   params: { path: { session_id: session!.id } },
 *   body: { input: { question: 'Quiz me on RxJS operators' } },
 * });
 * ```
 */
export function createTributaryClient(options: ClientOptions): TributaryClient {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    headers: options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
