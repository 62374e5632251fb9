/**
 * The one catalog of coded errors (after fastify's `lib/errors.js`): every failure the core
 * raises has a stable `code`, an HTTP-like `status` the gateway maps to problem+json, and,
 * for bad input, the `field` at fault.
 */
export const ERROR_CATALOG = {
  INVALID_ARGUMENT: { status: 400, title: 'Invalid argument' },
  INVALID_CURSOR: { status: 400, title: 'Invalid cursor' },
  INVALID_STATE: { status: 400, title: 'Invalid state' },
  SESSION_NOT_FOUND: { status: 404, title: 'Session not found' },
  RUN_NOT_FOUND: { status: 404, title: 'Run not found' },
  CHECKPOINT_NOT_FOUND: { status: 404, title: 'Checkpoint not found' },
  APPROVAL_NOT_FOUND: { status: 404, title: 'Approval not found' },
  TOOL_NOT_FOUND: { status: 404, title: 'Tool not found' },
  FLOW_NOT_FOUND: { status: 404, title: 'Flow not found' },
  SESSION_BUSY: { status: 409, title: 'Session has an active run' },
  SESSION_EXPIRED: { status: 409, title: 'Session expired' },
  SESSION_ARCHIVED: { status: 409, title: 'Session archived' },
  RUN_FINISHED: { status: 409, title: 'Run already finished' },
  SESSION_CAP_REACHED: { status: 429, title: 'Session cap reached' },
  SHUTTING_DOWN: { status: 503, title: 'Shutting down' },
  STORE_UNAVAILABLE: { status: 503, title: 'Store unavailable' },
  STORE_CORRUPT: { status: 500, title: 'Store file corrupt or unreadable' },
  STORE_LOCKED: { status: 409, title: 'Store in use by another process' },
  CONFIG_INVALID: { status: 500, title: 'Invalid configuration' },
  PLUGIN_INVALID: { status: 500, title: 'Invalid plugin definition' },
  PLUGIN_DUPLICATE: { status: 500, title: 'Duplicate plugin name' },
  PLUGIN_SCHEMA_INVALID: { status: 500, title: 'Plugin schema does not compile' },
  PLUGIN_DEPENDENCY_MISSING: { status: 500, title: 'Plugin dependency missing' },
  TOOL_INPUT_INVALID: { status: 400, title: 'Tool input invalid' },
  TOOL_OUTPUT_INVALID: { status: 502, title: 'Tool output invalid' },
  TOOL_TIMEOUT: { status: 504, title: 'Tool timed out' },
  TOOL_FAILED: { status: 502, title: 'Tool failed' },
  RUN_CANCELLED: { status: 409, title: 'Run cancelled' },
  APPROVAL_REJECTED: { status: 409, title: 'Approval rejected' },
  APPROVAL_TIMEOUT: { status: 408, title: 'Approval timed out' },
  CHECKPOINT_DECRYPT_FAILED: { status: 500, title: 'Checkpoint cannot be decrypted' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export interface TributaryErrorOptions {
  /** The input field at fault, as a JSON pointer-ish path (`body.input.question`, `CONCURRENCY_LIMIT`). */
  field?: string;
  /** True when trying the same thing again may succeed (network errors, 5xx, timeouts). */
  retryable?: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * An error from the catalog.
 *
 * @example
 * ```ts
 * throw new TributaryError('SESSION_NOT_FOUND', `session ${id} not found`, { field: 'session_id' });
 * ```
 */
export class TributaryError extends Error {
  override readonly name = 'TributaryError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_CATALOG[code].status;
    this.field = options.field;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  get title(): string {
    return ERROR_CATALOG[this.code].title;
  }
}

export function isTributaryError(error: unknown, code?: ErrorCode): error is TributaryError {
  return error instanceof TributaryError && (code === undefined || error.code === code);
}

/** Whether a failure is worth another attempt: only errors that say so (network, 5xx, timeouts). */
export function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
}

/** A message safe to show a user for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'unknown error';
}
