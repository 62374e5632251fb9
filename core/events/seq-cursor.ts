import { TributaryError } from '../errors.ts';

/**
 * The one cursor rule of every transport (REST `after`, SSE `Last-Event-ID` / `after`, Socket.IO
 * `after_seq`): a seq past the session's last event was never issued, so it is refused with
 * INVALID_CURSOR naming the field rather than waited on; a cursor equal to `lastSeq` is a caught-up
 * reader.
 *
 * @example
 * ```ts
 * assertSeqCursor(session.id, session.last_seq, 12, 'after', 'query.after'); // throws when last_seq < 12
 * ```
 */
export function assertSeqCursor(
  sessionId: string,
  lastSeq: number,
  after: number,
  name: string,
  field: string,
): void {
  if (after > lastSeq)
    throw new TributaryError(
      'INVALID_CURSOR',
      `${name} ${after} is past the last event of session ${sessionId} (seq ${lastSeq})`,
      { field },
    );
}
