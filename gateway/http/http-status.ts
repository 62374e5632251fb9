import { ERROR_CATALOG, type ErrorCode, type ErrorKind } from '../../core/index.ts';

/** The HTTP status of each transport-neutral kind of core error: where core's catalog meets HTTP. */
const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  limited: 429,
  unavailable: 503,
  timeout: 504,
  upstream: 502,
  internal: 500,
};

/** Codes whose status is not their kind's: waiting for a person is the caller's timeout, not a gateway's. */
const OVERRIDES: Partial<Record<ErrorCode, number>> = { APPROVAL_TIMEOUT: 408 };

/**
 * The HTTP status a core error is answered with (problem documents and socket ack errors alike).
 *
 * @example
 * ```ts
 * httpStatusOf('SESSION_NOT_FOUND'); // 404
 * ```
 */
export function httpStatusOf(code: ErrorCode): number {
  return OVERRIDES[code] ?? STATUS_OF_KIND[ERROR_CATALOG[code].kind];
}

/**
 * True for a server fault, whose message must not reach the caller: a 5xx other than 503
 * (which says "try later").
 *
 * @example
 * ```ts
 * isServerFaultStatus(httpStatusOf('CONFIG_INVALID')); // true
 * isServerFaultStatus(httpStatusOf('SHUTTING_DOWN')); // false
 * ```
 */
export function isServerFaultStatus(status: number): boolean {
  return status >= 500 && status !== 503;
}
