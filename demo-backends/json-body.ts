import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { ProblemError } from './problem.ts';

/** The largest request body the demo backends read (the gateway's `BODY_LIMIT` default). */
export const BODY_LIMIT = '1mb';

/**
 * Route middleware that parses a JSON request body into `ctx.request.body`. Any other declared
 * content type is refused with 415 before a byte is read; a body-less request gets `{}`, so schema
 * validation then names the missing fields. Malformed JSON (and a bare JSON scalar) becomes a 400
 * and a body over {@link BODY_LIMIT} a 413, both rendered by `problemResponses`.
 *
 * @example
 * ```ts
 * router.post('/search', jsonBody(), (ctx) => {
 *   ctx.body = handle(ctx.request.body);
 * });
 * ```
 */
export function jsonBody(): Middleware {
  const parse = bodyParser({ enableTypes: ['json'], jsonLimit: BODY_LIMIT, jsonStrict: true });
  return async (ctx, next) => {
    // `is` is null for a request without a body, false for a body of another type.
    if (ctx.is('application/json') === false) {
      const given = ctx.get('Content-Type') || 'no content type';
      throw new ProblemError(415, `request body must be application/json, got ${given}`);
    }
    await parse(ctx, next);
  };
}
