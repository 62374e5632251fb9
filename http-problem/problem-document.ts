/**
 * The problem+json format (RFC 9457) every HTTP server of this repository answers errors in: the
 * gateway and the demo backends. It imports nothing, so both depend on it without depending on
 * each other (the demo backends stand in for outside services and must not need the gateway).
 */

/** The media type of every error body. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One bad field of a 400: where (`body.input.question`, `query.limit`) and what is wrong. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The members every problem document here has; each server adds its own after them. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
}

/**
 * The stable `type` URI of a kind of problem, from its code or title: lower case, every run of
 * other characters one dash.
 *
 * @example
 * ```ts
 * problemType('INVALID_JSON'); // 'urn:tributary:problem:invalid-json'
 * problemType('Unsupported Media Type'); // 'urn:tributary:problem:unsupported-media-type'
 * ```
 */
export function problemType(name: string): string {
  return `urn:tributary:problem:${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

/**
 * A problem document: `type` from `name`, then title, status and detail, then the server's own
 * members (`extra`), then `errors` when there are any.
 *
 * @example
 * ```ts
 * problemDocument({ name: 'FORBIDDEN', title: 'Forbidden', status: 403, detail: 'not yours' }, { code: 'FORBIDDEN' });
 * // { type: 'urn:tributary:problem:forbidden', title: 'Forbidden', status: 403, detail: 'not yours', code: 'FORBIDDEN' }
 * ```
 */
export function problemDocument<Extra extends object>(
  problem: { name: string; title: string; status: number; detail: string },
  extra: Extra,
  errors?: readonly FieldProblem[],
): ProblemDocument & Extra {
  return {
    type: problemType(problem.name),
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...extra,
    ...(errors && errors.length > 0 ? { errors: [...errors] } : {}),
  };
}
