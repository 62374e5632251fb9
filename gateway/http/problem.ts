import { ERROR_CATALOG, isTributaryError, type ErrorCode } from '../../core/index.ts';
import { httpStatusOf, isServerFaultStatus } from './http-status.ts';
import {
  problemDocument,
  type FieldProblem,
  type ProblemDocument,
} from '../../http-problem/problem-document.ts';

export type { FieldProblem } from '../../http-problem/problem-document.ts';

/** An RFC 9457 problem document, as every error of the gateway is sent (`application/problem+json`). */
export interface Problem extends ProblemDocument {
  code: string;
  request_id?: string;
}

/** Gateway-only failures that are not core errors (auth, routing, transport). */
const HTTP_CODES = {
  UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  INVALID_JSON: { status: 400, title: 'Malformed JSON' },
  INTERNAL: { status: 500, title: 'Internal server error' },
  STARTING: { status: 503, title: 'Starting' },
  RESPONSE_INVALID: { status: 500, title: 'Response does not match the spec' },
} as const;

export type HttpCode = keyof typeof HTTP_CODES;

/**
 * A gateway error that becomes a problem document.
 *
 * @example
 * ```ts
 * throw new HttpProblem('UNAUTHORIZED', 'missing API key: send Authorization: Bearer <key>');
 * ```
 */
export class HttpProblem extends Error {
  readonly status: number;
  constructor(
    readonly code: HttpCode,
    message: string,
    readonly errors?: FieldProblem[],
  ) {
    super(message);
    this.status = HTTP_CODES[code].status;
  }
}

/** Turns any thrown value into a problem; unexpected errors become a 500 with no detail leaked. */
export function toProblem(error: unknown, requestId: string): Problem {
  if (error instanceof HttpProblem) {
    return problem(
      error.code,
      HTTP_CODES[error.code].title,
      error.status,
      error.message,
      requestId,
      error.errors,
    );
  }
  if (isTributaryError(error)) {
    const fromDetails = (error.details?.errors as FieldProblem[] | undefined) ?? undefined;
    const errors =
      fromDetails ?? (error.field ? [{ field: error.field, message: error.message }] : undefined);
    const status = httpStatusOf(error.code);
    if (isServerFaultStatus(status) && !isClientFacing(error.code)) return internal(requestId);
    // A store failure's message names files or hosts (and /readyz is public): it stays in the log.
    const detail = error.code === 'STORE_UNAVAILABLE' ? STORE_UNAVAILABLE_DETAIL : error.message;
    return problem(error.code, ERROR_CATALOG[error.code].title, status, detail, requestId, errors);
  }
  return internal(requestId);
}

const STORE_UNAVAILABLE_DETAIL = 'the session store does not answer; try again later';

// Tool and gateway-timeout errors carry 5xx statuses but their messages are meant for callers.
function isClientFacing(code: ErrorCode): boolean {
  return code === 'TOOL_FAILED' || code === 'TOOL_TIMEOUT' || code === 'TOOL_OUTPUT_INVALID';
}

function internal(requestId: string): Problem {
  return problem(
    'INTERNAL',
    HTTP_CODES.INTERNAL.title,
    500,
    `unexpected error; quote request id ${requestId} when reporting it`,
    requestId,
  );
}

function problem(
  code: string,
  title: string,
  status: number,
  detail: string,
  requestId: string,
  errors?: FieldProblem[],
): Problem {
  return problemDocument({ name: code, title, status, detail }, { code, request_id: requestId }, errors);
}
