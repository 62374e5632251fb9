import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { createAjv, validationError, type Session, type ValidateFunction } from '../../core/index.ts';
import { accessRuleOf, type AccessRule, type ReadableSession } from './access-rule.ts';
import { HttpProblem } from './problem.ts';
import {
  deref,
  HTTP_METHODS,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiParameter,
} from './openapi-document.ts';
import { jsonBodyReader, type ReadJsonBody } from './json-body-reader.ts';

/** What a handler gets: the request after authentication and validation against the spec. */
export interface BoundRequest {
  readonly operationId: string;
  readonly params: Record<string, unknown>;
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, unknown>;
  readonly body: unknown;
  /** The API key's user, or null when the gateway runs open. */
  readonly user: string | null;
  /** The session the operation names, already checked against `user` by its access rule; else undefined. */
  readonly session: Session | undefined;
}

/** A handler's answer; `undefined` means it wrote the response itself (SSE). */
export type OperationResult =
  { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

export type OperationHandler = (request: BoundRequest, ctx: Context) => Promise<OperationResult>;

/** An operation's entry in the handler table: who may call it, and what it does. */
export interface BoundOperation {
  readonly access: AccessRule;
  readonly handle: OperationHandler;
}

/**
 * Given an operation's `security` requirements (once, at bind time), the check that decides who may
 * call it: the caller's user, null when no user applies; throws 401/403 problems.
 */
export type Authenticate = (
  requirements: ReadonlyArray<Record<string, string[]>>,
) => (ctx: Context) => string | null;

export interface BindOptions {
  spec: OpenApiDocument;
  /** By `operationId`; an entry without an `access` rule stops the start. */
  handlers: Readonly<Record<string, BoundOperation>>;
  authenticate: Authenticate;
  /** The ownership check every `session` and `body-session` operation gets before its handler. */
  readableSession: ReadableSession;
  bodyLimit: number;
  /** Check every response against the spec (tests turn this on): a mismatch is a 500. */
  validateResponses?: boolean;
  /** `RATE_LIMIT`: counts each call of an API-key operation, after authentication; unset counts nothing. */
  rateLimit?: (ctx: Context) => Promise<void>;
  /**
   * Bind only these operations (by `operationId`), leaving the spec's others unrouted (404): a worker
   * process serves its health probes alone. Unset: every operation. A name the spec lacks stops the bind.
   */
  only?: ReadonlySet<string>;
}

interface CompiledOperation {
  path?: ValidateFunction;
  query?: ValidateFunction;
  headers?: ValidateFunction;
  body?: ValidateFunction;
  bodyRequired: boolean;
  /** Whether the body's schema has a `session_id` property (what a `body-session` rule reads). */
  bodyNamesSession: boolean;
  /** Declared header parameters, by the name the spec gives them. */
  headerNames: string[];
  responses: Map<string, ValidateFunction>;
}

/**
 * Registers every operation of the spec (or those named in `only`) on the router: auth, then the rate limit (`rateLimit`), then
 * JSON body parsing, then Ajv validation of path, query, headers and body (400 problems naming the field), then the
 * operation's access rule (the session it names, checked against the caller), then the handler
 * found by `operationId`. An operation without a handler or without an access rule stops the start.
 *
 * @example
 * ```ts
 * bindOpenApi(router, { spec: loadSpec(), handlers, authenticate, readableSession, bodyLimit: 1 << 20 });
 * app.use(router.routes()).use(router.allowedMethods({ throw: true }));
 * ```
 */
export function bindOpenApi(router: Router, options: BindOptions): string[] {
  const { spec } = options;
  // Coercing for parameters (they arrive as strings), strict types for bodies.
  const paramAjv = createAjv({ strict: false, coerceTypes: 'array', useDefaults: true });
  const bodyAjv = createAjv({ strict: false });
  const bound: string[] = [];
  const readJsonBody = jsonBodyReader(options.bodyLimit);
  if (options.only) {
    const inSpec = new Set(
      Object.values(spec.paths).flatMap((item) =>
        HTTP_METHODS.flatMap((method) => (item[method] as OpenApiOperation | undefined)?.operationId ?? []),
      ),
    );
    const unknown = [...options.only].filter((id) => !inSpec.has(id));
    if (unknown.length > 0) throw new Error(`no operation ${unknown.join(', ')} in the spec to bind`);
  }
  for (const [path, item] of Object.entries(spec.paths)) {
    const shared = (item.parameters as OpenApiParameter[] | undefined) ?? [];
    for (const method of HTTP_METHODS) {
      const operation = item[method] as OpenApiOperation | undefined;
      if (!operation) continue;
      if (options.only && !options.only.has(operation.operationId)) continue;
      const label = `${operation.operationId} (${method.toUpperCase()} ${path})`;
      const entry = options.handlers[operation.operationId] as Partial<BoundOperation> | undefined;
      if (!entry?.handle) throw new Error(`no handler for operation ${label}`);
      const compiled = compile(
        spec,
        operation,
        [...shared, ...(operation.parameters ?? [])],
        paramAjv,
        bodyAjv,
        options.validateResponses ?? false,
      );
      const requirements = operation.security ?? spec.security ?? [];
      const schemes = new Set(requirements.flatMap((alternative) => Object.keys(alternative)));
      const access = accessRuleOf({
        label,
        declared: entry.access,
        path,
        schemes,
        bodyNamesSession: compiled.bodyNamesSession,
      });
      // API-key operations only: public ones (health, the spec) and the internal token's progress
      // posts from tool backends are never refused for the rate.
      const rateLimit = schemes.has('apiKey') || schemes.has('apiKeyHeader') ? options.rateLimit : undefined;
      router.register(
        toKoaPath(path),
        [method],
        operationMiddleware(
          operation.operationId,
          compiled,
          options.authenticate(requirements),
          rateLimit,
          { access, handle: entry.handle },
          readJsonBody,
          options,
        ),
      );
      bound.push(operation.operationId);
    }
  }
  return bound;
}

function operationMiddleware(
  operationId: string,
  compiled: CompiledOperation,
  authenticate: (ctx: Context) => string | null,
  rateLimit: ((ctx: Context) => Promise<void>) | undefined,
  { access, handle }: BoundOperation,
  readJsonBody: ReadJsonBody,
  options: BindOptions,
): Middleware {
  return async (ctx) => {
    const user = authenticate(ctx);
    if (rateLimit) await rateLimit(ctx);
    const body = compiled.body ? await readJsonBody(ctx, compiled.bodyRequired) : undefined;
    const params = check(
      compiled.path,
      { ...(ctx as unknown as { params: Record<string, string> }).params },
      'path',
    );
    const query = check(compiled.query, { ...ctx.query }, 'query');
    // Only the declared headers, each looked up once (most operations declare none).
    const declared: Record<string, unknown> = {};
    for (const name of compiled.headerNames) {
      const value = ctx.get(name);
      if (value !== '') declared[name] = value;
    }
    const headers = check(compiled.headers, declared, 'headers');
    if (compiled.body && body !== undefined) check(compiled.body, body, 'body');
    const session = await sessionOf(access, user, params, body, options.readableSession);
    const result = await handle({ operationId, params, query, headers, body, user, session }, ctx);
    if (result === undefined) return;
    ctx.status = result.status;
    if (result.headers) for (const name in result.headers) ctx.set(name, result.headers[name]!);
    if (result.body !== undefined) ctx.body = result.body;
    if (options.validateResponses) checkResponse(compiled, operationId, result);
  };
}

/** What the access rule hands the handler: the named session, once the caller may read it. */
async function sessionOf(
  access: AccessRule,
  user: string | null,
  params: Record<string, unknown>,
  body: unknown,
  readableSession: ReadableSession,
): Promise<Session | undefined> {
  if (access === 'session') return readableSession(user, String(params.session_id));
  if (access !== 'body-session') return undefined;
  const named = (body as { session_id?: unknown } | undefined)?.session_id;
  return typeof named === 'string' ? readableSession(user, named) : undefined;
}

function check<T>(validate: ValidateFunction | undefined, value: T, where: string): T {
  if (validate && !validate(value)) throw validationError('INVALID_ARGUMENT', validate.errors, where);
  return value;
}

function checkResponse(
  compiled: CompiledOperation,
  operationId: string,
  result: { status: number; body?: unknown },
): void {
  const validate = compiled.responses.get(String(result.status)) ?? compiled.responses.get('default');
  if (!validate)
    throw new HttpProblem(
      'RESPONSE_INVALID',
      `${operationId} answered ${result.status}, which the spec does not list`,
    );
  if (result.body !== undefined && !validate(JSON.parse(JSON.stringify(result.body)))) {
    const problem = validationError('INVALID_ARGUMENT', validate.errors, 'response');
    throw new HttpProblem('RESPONSE_INVALID', `${operationId} ${result.status}: ${problem.message}`);
  }
}

function compile(
  spec: OpenApiDocument,
  operation: OpenApiOperation,
  parameters: readonly (OpenApiParameter | { $ref: string })[],
  paramAjv: ReturnType<typeof createAjv>,
  bodyAjv: ReturnType<typeof createAjv>,
  withResponses: boolean,
): CompiledOperation {
  const byLocation = new Map<string, { properties: Record<string, unknown>; required: string[] }>();
  for (const raw of parameters) {
    const parameter = deref<OpenApiParameter>(spec, raw);
    const location = parameter.in === 'header' ? 'headers' : parameter.in;
    const entry = byLocation.get(location) ?? { properties: {}, required: [] };
    byLocation.set(location, entry);
    entry.properties[parameter.name] = inline(spec, parameter.schema ?? {});
    if (parameter.required) entry.required.push(parameter.name);
  }
  const objectSchema = (location: string) => {
    const entry = byLocation.get(location);
    return entry
      ? paramAjv.compile({ type: 'object', properties: entry.properties, required: entry.required })
      : undefined;
  };
  const requestBody = operation.requestBody
    ? deref<NonNullable<OpenApiOperation['requestBody']>>(spec, operation.requestBody)
    : undefined;
  const bodySchema = requestBody?.content['application/json']?.schema;
  const inlinedBody = bodySchema ? inline(spec, bodySchema) : undefined;
  const responses = new Map<string, ValidateFunction>();
  if (withResponses) {
    for (const [status, raw] of Object.entries(operation.responses)) {
      const response = deref<{ content?: Record<string, { schema?: Record<string, unknown> }> }>(spec, raw);
      const schema =
        response.content?.['application/json']?.schema ??
        response.content?.['application/problem+json']?.schema;
      responses.set(status, bodyAjv.compile(schema ? inline(spec, schema) : {}));
    }
  }
  return {
    path: objectSchema('path'),
    query: objectSchema('query'),
    headers: objectSchema('headers'),
    body: inlinedBody ? bodyAjv.compile(inlinedBody) : undefined,
    bodyRequired: requestBody?.required ?? false,
    bodyNamesSession: Object.hasOwn(
      (inlinedBody?.properties as Record<string, unknown> | undefined) ?? {},
      'session_id',
    ),
    headerNames: Object.keys(byLocation.get('headers')?.properties ?? {}),
    responses,
  };
}

/** Copies a schema with every local `$ref` replaced by what it points to (component schemas here are not recursive). */
function inline(spec: OpenApiDocument, schema: unknown, depth = 0): Record<string, unknown> {
  if (depth > 32) throw new Error('schema nests too deep or is recursive');
  const resolved = deref<unknown>(spec, schema);
  if (Array.isArray(resolved))
    return resolved.map((item) => inline(spec, item, depth + 1)) as unknown as Record<string, unknown>;
  if (resolved === null || typeof resolved !== 'object') return resolved as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resolved)) {
    // `example(s)` are documentation; Ajv need not see them.
    if (key === 'example' || key === 'examples') continue;
    out[key] = value !== null && typeof value === 'object' ? inline(spec, value, depth + 1) : value;
  }
  return out;
}

function toKoaPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}
