import { isTributaryError } from '../../core/index.ts';
import { httpStatusOf, isServerFaultStatus } from '../http/http-status.ts';
import type { AckError } from './protocol.ts';

/** A store failure's own message names files or hosts: clients get this instead (as over HTTP). */
const STORE_UNAVAILABLE_MESSAGE = 'the session store does not answer; try again later';

/**
 * The ack error for any thrown value, in the words of the HTTP problems: a core error keeps its
 * `code`, `message` and `field`; server faults (5xx other than 503) and unknown throws become
 * `INTERNAL` with nothing leaked.
 *
 * @example
 * ```ts
 * toAckError(new TributaryError('SESSION_NOT_FOUND', 'session 42 not found', { field: 'session_id' }));
 * // { code: 'SESSION_NOT_FOUND', message: 'session 42 not found', field: 'session_id' }
 * ```
 */
export function toAckError(error: unknown): AckError {
  if (!isTributaryError(error)) return internal();
  if (error.code === 'STORE_UNAVAILABLE') return { code: error.code, message: STORE_UNAVAILABLE_MESSAGE };
  // The same faults as over HTTP stay hidden, so both transports say the same thing.
  if (isServerFaultStatus(httpStatusOf(error.code))) return internal();
  return { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
}

/** True when the error is the server's fault: worth a log line with the cause. */
export function isServerFault(ack: AckError): boolean {
  return ack.code === 'INTERNAL' || ack.code === 'STORE_UNAVAILABLE';
}

function internal(): AckError {
  return { code: 'INTERNAL', message: 'unexpected error; the server logged it' };
}
