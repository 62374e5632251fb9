import { STATUS_CODES } from 'node:http';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { FieldError } from '../core/plugins/schema-validator.ts';
import {
  PROBLEM_CONTENT_TYPE,
  problemDocument,
  problemType,
  type ProblemDocument,
} from '../http-problem/problem-document.ts';

/** How many field problems `detail` spells out; `errors` lists all of them. */
const DETAIL_PROBLEMS = 3;

/**
 * An RFC 9457 problem body. `service` names the demo backend that answered, so an error from a demo
 * backend can never be mistaken for one from a real service; `errors` lists each bad field of a 400.
 */
export interface Problem extends ProblemDocument {
  service: string;
}

/**
 * An error that becomes a problem+json response: thrown anywhere in a demo backend's handlers.
 *
 * @example
 * ```ts
 * throw new ProblemError(415, 'request body must be application/json, got text/plain');
 * // 415 { type: 'urn:tributary:problem:unsupported-media-type', title: 'Unsupported Media Type', … }
 * ```
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly status: number;
  readonly title: string;
  readonly errors: readonly FieldError[] | undefined;

  constructor(status: number, detail: string, init: { title?: string; errors?: readonly FieldError[] } = {}) {
    super(detail);
    this.status = status;
    this.title = init.title ?? STATUS_CODES[status] ?? 'Error';
    this.errors = init.errors;
  }

  /** A stable URI per kind of problem, derived from the title: `urn:tributary:problem:invalid-request`. */
  get type(): string {
    return problemType(this.title);
  }

  toProblem(service: string): Problem {
    const { title, status, message: detail } = this;
    return problemDocument({ name: title, title, status, detail }, { service }, this.errors);
  }
}

/**
 * The 400 for a request body that breaks its schema: `detail` quotes the first problems, `errors` has them all.
 *
 * @example
 * ```ts
 * throw invalidRequest([{ field: 'query', message: 'query is required' }]);
 * // 400 { title: 'Invalid request', detail: 'query is required', errors: [{ field: 'query', … }] }
 * ```
 */
export function invalidRequest(errors: readonly FieldError[]): ProblemError {
  const shown = errors.slice(0, DETAIL_PROBLEMS).map((error) => error.message);
  const more = errors.length - shown.length;
  const detail =
    (shown.length > 0 ? shown.join('; ') : 'request body is invalid') +
    (more > 0 ? ` (and ${more} more)` : '');
  return new ProblemError(400, detail, { title: 'Invalid request', errors });
}

/**
 * Koa middleware, mounted first, that makes every failure a problem+json response: thrown
 * {@link ProblemError}s, body-parser errors (malformed JSON, too large), requests no route handled
 * (404, or 405 with `Allow`), and anything unexpected (500, logged with its stack, detail kept generic).
 *
 * @example
 * ```ts
 * app.use(problemResponses('demo-rag', logger));
 * ```
 */
export function problemResponses(service: string, logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        // The router's allowedMethods sets 405 and Allow without a body; Koa's default status is 404.
        if (ctx.status === 405) {
          throw new ProblemError(
            405,
            `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow')}`,
          );
        }
        if (ctx.status === 404) throw new ProblemError(404, `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (error) {
      const problem = toProblemError(error);
      if (problem.status >= 500 && !(error instanceof ProblemError)) {
        logger.error({ err: error, method: ctx.method, path: ctx.path }, 'demo backend request failed');
      }
      ctx.status = problem.status;
      ctx.body = problem.toProblem(service);
      ctx.type = PROBLEM_CONTENT_TYPE;
    }
  };
}

/** What the client is told about a thrown value: its own words for client errors, nothing internal for the rest. */
function toProblemError(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const status = numberProp(error, 'status') ?? numberProp(error, 'statusCode');
  const message = error instanceof Error ? error.message : String(error);
  // co-body marks a JSON.parse failure as a SyntaxError with status 400.
  if (error instanceof SyntaxError && status === 400) {
    return new ProblemError(400, `request body is not valid JSON: ${message}`, { title: 'Malformed JSON' });
  }
  if (status === 413) {
    const limit = numberProp(error, 'limit');
    return new ProblemError(
      413,
      limit === undefined ? 'request body is too large' : `request body is larger than ${limit} bytes`,
    );
  }
  if (status !== undefined && status >= 400 && status < 500) return new ProblemError(status, message);
  return new ProblemError(500, 'the demo backend failed unexpectedly; see its log');
}

function numberProp(value: unknown, key: string): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const property: unknown = (value as Record<string, unknown>)[key];
  return typeof property === 'number' ? property : undefined;
}
