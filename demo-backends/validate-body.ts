import type { JsonSchema } from '../core/plugins/plugin.ts';
import { compileSchema, createAjv, fieldErrors } from '../core/plugins/schema-validator.ts';
import { invalidRequest } from './problem.ts';

/** The demo backends' own Ajv instance, so their schemas never collide with plugin schemas. */
const ajv = createAjv();

/**
 * Compiles a request body schema once and returns a checker that hands back the body typed as `T`,
 * or throws a 400 problem whose `errors` name each bad field (`query`, `context.0.text`).
 *
 * @example
 * ```ts
 * const readSearch = bodyValidator<{ query: string }>(
 *   { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
 *   'POST /search body',
 * );
 * readSearch({}); // throws 400: "query is required"
 * ```
 */
export function bodyValidator<T>(schema: JsonSchema, name: string): (body: unknown) => T {
  const validate = compileSchema<T>(schema, name, ajv);
  return (body) => {
    if (validate(body)) return body;
    // Fields are named from the body's root (`query`, not `body.query`): the body is all there is.
    throw invalidRequest(fieldErrors(validate.errors ?? [], ''));
  };
}

/**
 * Refuses a string that is only white space, which `minLength` lets through.
 *
 * @example
 * ```ts
 * const query = notBlank(body.query, 'query'); // throws 400 "query must not be blank" for '  '
 * ```
 */
export function notBlank(value: string, field: string): string {
  if (value.trim() === '') throw invalidRequest([{ field, message: `${field} must not be blank` }]);
  return value;
}
