/**
 * What kind of failure an error is, in no transport's words: each transport maps codes to its own
 * statuses (HTTP's table is `gateway/http/http-status.ts`).
 */
export type ErrorKind =
  /** The caller's input is wrong; the same call fails again. */
  | 'invalid'
  | 'not_found'
  /** The target's state forbids it now (busy, expired, finished, cancelled). */
  | 'conflict'
  /** A per-user or per-key limit is reached (sessions, requests). */
  | 'limited'
  /** The service cannot serve now (shutting down, store down); trying later may succeed. */
  | 'unavailable'
  | 'timeout'
  /** Something the core called (a tool, an outside service) failed or answered wrong. */
  | 'upstream'
  /** The server's own fault: configuration, plugins, store files, keys. */
  | 'internal';

/**
 * The one catalog of coded errors (after fastify's `lib/errors.js`): every failure the core
 * raises has a stable `code`, a `kind` and a `title`, and, for bad input, the `field` at fault.
 * Transports turn codes into statuses (the gateway into HTTP statuses and problem+json).
 */
export const ERROR_CATALOG = {
  INVALID_ARGUMENT: { kind: 'invalid', title: 'Invalid argument' },
  INVALID_CURSOR: { kind: 'invalid', title: 'Invalid cursor' },
  INVALID_STATE: { kind: 'invalid', title: 'Invalid state' },
  SESSION_NOT_FOUND: { kind: 'not_found', title: 'Session not found' },
  RUN_NOT_FOUND: { kind: 'not_found', title: 'Run not found' },
  CHECKPOINT_NOT_FOUND: { kind: 'not_found', title: 'Checkpoint not found' },
  APPROVAL_NOT_FOUND: { kind: 'not_found', title: 'Approval not found' },
  TOOL_NOT_FOUND: { kind: 'not_found', title: 'Tool not found' },
  FLOW_NOT_FOUND: { kind: 'not_found', title: 'Flow not found' },
  SESSION_BUSY: { kind: 'conflict', title: 'Session has an active run' },
  SESSION_EXPIRED: { kind: 'conflict', title: 'Session expired' },
  SESSION_ARCHIVED: { kind: 'conflict', title: 'Session archived' },
  RUN_FINISHED: { kind: 'conflict', title: 'Run already finished' },
  SESSION_CAP_REACHED: { kind: 'limited', title: 'Session cap reached' },
  RATE_LIMITED: { kind: 'limited', title: 'Rate limit exceeded' },
  SHUTTING_DOWN: { kind: 'unavailable', title: 'Shutting down' },
  STORE_UNAVAILABLE: { kind: 'unavailable', title: 'Store unavailable' },
  STORE_CORRUPT: { kind: 'internal', title: 'Store file corrupt or unreadable' },
  STORE_LOCKED: { kind: 'conflict', title: 'Store in use by another process' },
  CONFIG_INVALID: { kind: 'internal', title: 'Invalid configuration' },
  PLUGIN_INVALID: { kind: 'internal', title: 'Invalid plugin definition' },
  PLUGIN_DUPLICATE: { kind: 'internal', title: 'Duplicate plugin name' },
  PLUGIN_SCHEMA_INVALID: { kind: 'internal', title: 'Plugin schema does not compile' },
  PLUGIN_DEPENDENCY_MISSING: { kind: 'internal', title: 'Plugin dependency missing' },
  TOOL_INPUT_INVALID: { kind: 'invalid', title: 'Tool input invalid' },
  TOOL_OUTPUT_INVALID: { kind: 'upstream', title: 'Tool output invalid' },
  TOOL_TIMEOUT: { kind: 'timeout', title: 'Tool timed out' },
  TOOL_FAILED: { kind: 'upstream', title: 'Tool failed' },
  RUN_CANCELLED: { kind: 'conflict', title: 'Run cancelled' },
  RUN_INTERRUPTED: { kind: 'unavailable', title: 'Run interrupted' },
  APPROVAL_REJECTED: { kind: 'conflict', title: 'Approval rejected' },
  APPROVAL_TIMEOUT: { kind: 'timeout', title: 'Approval timed out' },
  CHECKPOINT_DECRYPT_FAILED: { kind: 'internal', title: 'Checkpoint cannot be decrypted' },
} as const satisfies Record<string, { kind: ErrorKind; title: string }>;

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
  readonly kind: ErrorKind;
  readonly field: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = ERROR_CATALOG[code].kind;
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
