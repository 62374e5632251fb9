/** A failure the CLI reports as `error: <message>` and exit code 1 (or `exitCode`). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A problem+json answer of the gateway (or a Socket.IO ack error): printed as `error: <detail> (<code>)`. */
export class ApiError extends CliError {
  constructor(
    readonly detail: string,
    readonly code: string,
    readonly status?: number,
  ) {
    super(`${detail} (${code})`);
    this.name = 'ApiError';
  }
}

/** What an openapi-fetch call resolves to: `data` on success, the parsed error body otherwise. */
export interface ApiResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The error a failed gateway answer stands for: the problem's `detail` and `code`, or the HTTP status
 * when the body is not problem+json (a proxy's HTML page, say).
 *
 * @example
 * ```ts
 * problemError({ detail: 'session 42 not found', code: 'SESSION_NOT_FOUND' }, response).message;
 * // 'session 42 not found (SESSION_NOT_FOUND)'
 * ```
 */
export function problemError(body: unknown, response: Response): ApiError {
  if (isRecord(body) && typeof body.code === 'string') {
    const detail =
      typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : '';
    const fields = Array.isArray(body.errors)
      ? body.errors
          .filter(isRecord)
          // The detail often is the one field error already: do not say it twice.
          .filter((error) => !detail.includes(String(error.message)))
          .map((error) => `${String(error.field)}: ${String(error.message)}`)
      : [];
    return new ApiError([detail, ...fields].filter(Boolean).join('; '), body.code, response.status);
  }
  const status = `${response.status} ${response.statusText}`.trim();
  return new ApiError(`the server answered HTTP ${status}`, `HTTP_${response.status}`, response.status);
}

/**
 * The data of an openapi-fetch result, or throws its {@link ApiError}.
 *
 * @example
 * ```ts
 * const session = unwrap(await api.GET('/v1/sessions/{session_id}', { params: { path: { session_id } } }));
 * ```
 */
export function unwrap<T>(result: ApiResult<T>): T {
  if (result.response.ok) return result.data as T;
  throw problemError(result.error, result.response);
}

/** The network error code (`ECONNREFUSED`, `ENOTFOUND`, …) somewhere in a fetch failure's causes. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && isRecord(current); depth++) {
    if (typeof current.code === 'string' && /^E[A-Z]+$/.test(current.code)) return current.code;
    if (Array.isArray(current.errors) && current.errors.length > 0) current = current.errors[0];
    else current = current.cause;
  }
  return undefined;
}

/**
 * The error to show when the gateway could not be reached at all.
 *
 * @example
 * ```ts
 * await fetch(url).catch((error) => {
 *   throw unreachableError(url, error); // cannot reach http://127.0.0.1:3000: is the server running? (tributary serve)
 * });
 * ```
 */
export function unreachableError(url: string, error: unknown): CliError {
  const code = networkCode(error);
  switch (code) {
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case undefined:
      return new CliError(`cannot reach ${url}: is the server running? (tributary serve)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CliError(`cannot reach ${url}: unknown host`);
    default:
      return new CliError(`cannot reach ${url}: ${code}`);
  }
}

/**
 * The one line the CLI prints for an error, without the `error: ` prefix.
 *
 * @example
 * ```ts
 * describeError(new ApiError('missing API key', 'UNAUTHORIZED')); // 'missing API key (UNAUTHORIZED)'
 * ```
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
