import type { ErrorCode } from '../../core/index.ts';

/**
 * The HTTP status of each core error code: the one place core's transport-neutral catalog
 * (`core/errors.ts`) meets HTTP. Problem documents and socket ack errors both read it; a new
 * code fails to compile until it has a status here.
 */
export const HTTP_STATUS_OF = {
  INVALID_ARGUMENT: 400,
  INVALID_CURSOR: 400,
  INVALID_STATE: 400,
  SESSION_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  CHECKPOINT_NOT_FOUND: 404,
  APPROVAL_NOT_FOUND: 404,
  TOOL_NOT_FOUND: 404,
  FLOW_NOT_FOUND: 404,
  SESSION_BUSY: 409,
  SESSION_EXPIRED: 409,
  SESSION_ARCHIVED: 409,
  RUN_FINISHED: 409,
  SESSION_CAP_REACHED: 429,
  SHUTTING_DOWN: 503,
  STORE_UNAVAILABLE: 503,
  STORE_CORRUPT: 500,
  STORE_LOCKED: 409,
  CONFIG_INVALID: 500,
  PLUGIN_INVALID: 500,
  PLUGIN_DUPLICATE: 500,
  PLUGIN_SCHEMA_INVALID: 500,
  PLUGIN_DEPENDENCY_MISSING: 500,
  TOOL_INPUT_INVALID: 400,
  TOOL_OUTPUT_INVALID: 502,
  TOOL_TIMEOUT: 504,
  TOOL_FAILED: 502,
  RUN_CANCELLED: 409,
  APPROVAL_REJECTED: 409,
  APPROVAL_TIMEOUT: 408,
  CHECKPOINT_DECRYPT_FAILED: 500,
} as const satisfies Record<ErrorCode, number>;

/**
 * The HTTP status a core error is answered with.
 *
 * @example
 * ```ts
 * httpStatusOf('SESSION_NOT_FOUND'); // 404
 * ```
 */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS_OF[code];
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
