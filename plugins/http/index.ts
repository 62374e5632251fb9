/**
 * The HTTP tool kit: what the built-in HTTP tools (and plugin authors' ones) use to call a JSON backend.
 *
 * - Every call goes through `ctx.fetch`, so it carries the tool span's trace headers and stops when the
 *   run is cancelled; on top of that each call has its own timeout (default 5000 ms) and a response size
 *   limit (default 1 MiB, enforced while streaming).
 * - Failures are `TributaryError`s with messages that say what happened where, never with headers:
 *   `timeout after 5000 ms calling rag_search at http://rag/search`, `HTTP 503 from http://rag/search`,
 *   `HTTP 404 from http://rag/search: <body snippet>`, `invalid JSON from http://rag/search`,
 *   `response from http://rag/search exceeds 1048576 bytes`,
 *   `connection failed calling rag_search at http://rag/search: <cause>`. Each also has `details.user_message`,
 *   the same news without the URL (`the rag_search service answered HTTP 404: <body snippet>`), which is what
 *   the flow kit's `useTool` tells the user: service addresses are for operators.
 * - The kit never retries by itself. It marks errors `retryable` (network errors, timeouts, 502/503/504;
 *   never a 4xx or a 500), and the core retries them: each HTTP tool takes {@link httpToolPolicy}
 *   (`retries: 1`, `retryDelayMs: 200`), so a blip costs one retry after 200 ms and every attempt is
 *   reported as its own `tool.started` with its own span.
 * - A cancel is not a failure: when the run's signal aborts, the kit rethrows the abort reason untouched.
 * - A tool that is one JSON call to one backend operation is a {@link defineHttpTool}: endpoint, body and
 *   progress notes are all it declares; the policy above comes with it.
 *
 * @example
 * ```ts
 * export const weather = (options: HttpToolOptions) =>
 *   defineHttpTool<{ city: string }, Forecast>({
 *     ...options, name: 'weather', version: '1.0.0', description: 'Forecast for a city', input, output,
 *     path: '/forecast',
 *   });
 * ```
 */
export { defineHttpTool } from './define-http-tool.ts';
export type { HttpToolSpec, ProgressNote } from './define-http-tool.ts';
export { displayUrl } from './display-url.ts';
export { getJson } from './get-json.ts';
export * from './http-errors.ts';
export * from './http-tool-policy.ts';
export { postJson } from './post-json.ts';
export { readLimited, discardBody } from './read-limited.ts';
export type { LimitedBody } from './read-limited.ts';
export * from './request-json.ts';
export { toolEndpoint } from './tool-endpoint.ts';
