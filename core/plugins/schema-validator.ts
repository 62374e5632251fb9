import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, Options, ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { TributaryError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import type { JsonSchema } from './plugin.ts';

export type { ErrorObject, ValidateFunction };

/** One failed check, as the API reports it: `{ field: 'input.question', message: 'input.question must be string' }`. */
export interface FieldError {
  field: string;
  message: string;
}

/** How many problems a validation error message spells out; all of them stay in `details.errors`. */
const MESSAGE_PROBLEMS = 3;

/**
 * Makes an Ajv instance for JSON Schema 2020-12 with the formats of `ajv-formats`, all errors
 * reported, and strict mode on so a typo in a schema fails when it is compiled, not when it lets bad data in.
 * Two strict checks are relaxed because they refuse valid, common schemas: union types
 * (`type: ['string', 'null']`, how OpenAPI 3.1 spells nullable) and `strictRequired`
 * (`{ type: 'object', required: ['id'] }` with no `properties`, or `required` inside `anyOf`).
 *
 * @example
 * ```ts
 * const ajv = createAjv();
 * const isQuestion = ajv.compile({ type: 'string', minLength: 1 });
 * isQuestion('why?'); // true
 * ```
 */
export function createAjv(options: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    strictRequired: false,
    ...options,
  });
  // ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, whose `default` is the plugin.
  addFormats.default(ajv);
  return ajv;
}

let shared: Ajv2020 | undefined;

/** The process-wide instance for callers that do not need their own schema namespace. */
export function sharedAjv(): Ajv2020 {
  shared ??= createAjv();
  return shared;
}

/**
 * Compiles a schema, turning Ajv's compile failure into `PLUGIN_SCHEMA_INVALID` that says where the schema came from.
 *
 * @example
 * ```ts
 * const validate = compileSchema({ type: 'object', required: ['q'] }, 'tool rag_search: input schema');
 * // a bad schema throws: "tool rag_search: input schema: strict mode: unknown keyword: \"requried\""
 * ```
 */
export function compileSchema<T = unknown>(
  schema: JsonSchema,
  where: string,
  ajv: Ajv2020 = sharedAjv(),
): ValidateFunction<T> {
  try {
    return ajv.compile<T>(schema);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TributaryError('PLUGIN_SCHEMA_INVALID', `${where}: ${reason}`, { field: where, cause: error });
  }
}

/**
 * Turns Ajv errors into one coded error: `field` is the first failing path (`input.question`), the message
 * names the field and the problem, and `details.errors` lists every failure as `{ field, message }`.
 *
 * @param prefix - the name of the validated value as a whole, e.g. `input`, `output` or `body`.
 * @param context - optional lead-in for the message, e.g. `invalid input for rag_search`.
 *
 * @example
 * ```ts
 * if (!validate(data)) throw validationError('TOOL_INPUT_INVALID', validate.errors, 'input');
 * // TributaryError { field: 'input.question', message: 'input.question must be string' }
 * ```
 */
export function validationError(
  code: ErrorCode,
  errors: readonly ErrorObject[] | null | undefined,
  prefix: string,
  context?: string,
): TributaryError {
  const problems = fieldErrors(errors ?? [], prefix);
  const first = problems[0] ?? { field: prefix, message: `${prefix} is invalid` };
  const shown = problems.slice(0, MESSAGE_PROBLEMS).map((p) => p.message);
  const more = problems.length - shown.length;
  const summary =
    (shown.length > 0 ? shown.join('; ') : first.message) + (more > 0 ? ` (and ${more} more)` : '');
  return new TributaryError(code, context === undefined ? summary : `${context}: ${summary}`, {
    field: first.field,
    details: { errors: problems },
  });
}

/** Every Ajv error as `{ field, message }`, without repeats (allErrors can report one problem twice). */
export function fieldErrors(errors: readonly ErrorObject[], prefix: string): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors) {
    const problem = describe(error, prefix);
    const key = `${problem.field}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out;
}

function describe(error: ErrorObject, prefix: string): FieldError {
  const path = pointerSegments(error.instancePath);
  const params: Record<string, unknown> = error.params;
  // Ajv reports a missing or extra property at its parent; the API wants the property itself named.
  const child =
    stringParam(params, 'missingProperty') ??
    stringParam(params, 'additionalProperty') ??
    stringParam(params, 'unevaluatedProperty');
  const field = joinField(prefix, child === undefined ? path : [...path, child]);
  return { field, message: `${field} ${problemText(error, params)}` };
}

function problemText(error: ErrorObject, params: Record<string, unknown>): string {
  switch (error.keyword) {
    case 'required':
    case 'dependentRequired':
      return 'is required';
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not allowed';
    case 'enum':
      return `must be one of ${JSON.stringify(params.allowedValues)}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return error.message ?? `fails the "${error.keyword}" check`;
  }
}

function stringParam(params: Record<string, unknown>, key: string): string | undefined {
  const value = params[key];
  return typeof value === 'string' ? value : undefined;
}

/** `/items/0/name` -> `['items', '0', 'name']`, undoing JSON Pointer's `~1` and `~0` escapes. */
function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function joinField(prefix: string, segments: readonly string[]): string {
  const parts = prefix === '' ? segments : [prefix, ...segments];
  return parts.length === 0 ? '(root)' : parts.join('.');
}
