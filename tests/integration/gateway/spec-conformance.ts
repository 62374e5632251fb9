import { createAjv } from '../../../core/index.ts';
import { deref, loadSpec, pointer, type OpenApiDocument } from '../../../gateway/http/openapi-document.ts';

/**
 * Client-side check of every response against `openapi/openapi.yaml`. The gateway already checks its
 * own success bodies (`validateResponses`), but errors leave through the problem+json middleware,
 * which it does not check: this catches a status the operation does not list, a wrong media type or
 * a problem body of the wrong shape.
 */
export const spec: OpenApiDocument = loadSpec();

const SPEC_ID = 'tributary-openapi';
const ajv = createAjv({ strict: false });
ajv.addSchema(spec as unknown as Record<string, unknown>, SPEC_ID);

interface Route {
  path: string;
  pattern: RegExp;
}

const routes: Route[] = Object.keys(spec.paths).map((path) => ({
  path,
  pattern: new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

type ResponseObject = { content?: Record<string, unknown> };

function validate(ref: string, value: unknown): string[] {
  const check = ajv.getSchema(`${SPEC_ID}${ref}`);
  if (!check) return [`no schema at ${ref}`];
  if (check(value)) return [];
  return (check.errors ?? []).map(
    (error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`,
  );
}

function problemViolations(status: number, mediaType: string, body: unknown): string[] {
  if (mediaType !== 'application/problem+json')
    return [`a ${status} must be application/problem+json, got ${mediaType}`];
  const out = validate('#/components/schemas/Problem', body);
  if ((body as { status?: unknown } | undefined)?.status !== status)
    out.push(`problem.status is not ${status}`);
  return out;
}

/**
 * What is wrong with a response to `method pathname` by the spec (empty when nothing).
 *
 * @example
 * ```ts
 * specViolations('GET', '/v1/sessions/abc', 400, 'application/problem+json', problem); // []
 * ```
 */
export function specViolations(
  method: string,
  pathname: string,
  status: number,
  contentType: string,
  body: unknown,
): string[] {
  const mediaType = contentType.split(';')[0]?.trim() ?? '';
  const route = routes.find((candidate) => candidate.pattern.test(pathname));
  // Outside the spec: the API reference page and its assets, or an unknown route (a 404 problem).
  if (!route)
    return pathname.startsWith('/docs') && status === 200 ? [] : problemViolations(status, mediaType, body);
  const verb = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
  const item = spec.paths[route.path] as Record<string, { responses?: Record<string, unknown> } | undefined>;
  const operation = item[verb];
  if (!operation?.responses) {
    if (verb === 'options' && status === 200) return [];
    return status === 405
      ? problemViolations(status, mediaType, body)
      : [`${method} ${route.path} answered ${status}, expected 405`];
  }
  const key = String(status) in operation.responses ? String(status) : 'default';
  const raw = operation.responses[key];
  if (raw === undefined) return [`${method} ${route.path} answered ${status}, which the spec does not list`];
  const response = deref<ResponseObject>(spec, raw as ResponseObject);
  const base =
    typeof (raw as { $ref?: unknown }).$ref === 'string'
      ? (raw as { $ref: string }).$ref
      : pointer('paths', route.path, verb, 'responses', key);
  if (!response.content) return body === undefined ? [] : [`${status} has a body the spec does not declare`];
  if (!(mediaType in response.content)) {
    return [
      `${status} is ${mediaType || 'untyped'}, spec says ${Object.keys(response.content).join(' or ')}`,
    ];
  }
  if (!mediaType.includes('json') || method.toUpperCase() === 'HEAD') return [];
  const out = validate(
    `${base}/content/${mediaType.replaceAll('~', '~0').replaceAll('/', '~1')}/schema`,
    body,
  );
  if (status >= 400 && (body as { status?: unknown } | undefined)?.status !== status)
    out.push(`problem.status is not ${status}`);
  return out;
}

/** Throws when `response` to `method url` breaks the spec; reads a clone, so the body stays readable. */
export async function assertConforms(method: string, url: string, response: Response): Promise<void> {
  const contentType = response.headers.get('content-type') ?? '';
  const hasJson = /json/.test(contentType) && method.toUpperCase() !== 'HEAD';
  const body: unknown = hasJson ? await response.clone().json() : undefined;
  const problems = specViolations(method, new URL(url).pathname, response.status, contentType, body);
  if (problems.length > 0) {
    throw new Error(`${method} ${url} -> ${response.status} breaks the spec: ${problems.join('; ')}`);
  }
}

/** A `fetch` that checks every response against the spec (handed to the typed client). */
export const conformingFetch = async (
  input: Request | string | URL,
  init?: RequestInit,
): Promise<Response> => {
  const request = new Request(input, init);
  const response = await fetch(request);
  await assertConforms(request.method, request.url, response);
  return response;
};
