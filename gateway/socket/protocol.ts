// The record's own module, not core/index.ts: the browser dashboard type-checks this file with no Node types.
import type { SessionEvent } from '../../core/events/event.ts';

/**
 * The Socket.IO protocol of docs/contract.md, as typed event maps shared by the server, the dashboard,
 * the CLI and the tests. Every client command has an ack; every ack says `ok`, and `error` when not.
 */

/** Why a command failed, in the same words as the HTTP problems (`code` from the error catalog). */
export interface AckError {
  code: string;
  message: string;
  /** The payload field at fault, e.g. `session_id` or `after_seq`. */
  field?: string;
}

export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: AckError };

export interface SubscribePayload {
  session_id: string;
  /**
   * Deliver stored events with `seq > after_seq` first (default 0: the whole history). Past the
   * session's last seq it is `INVALID_CURSOR`, as the SSE stream's `Last-Event-ID` / `after` (docs/streaming.md).
   */
  after_seq?: number;
}

export interface SubscribeResult {
  /** The session's last seq when the subscription started. */
  last_seq: number;
  /** False when events after `after_seq` are no longer stored: the client missed some for good. */
  recovered: boolean;
}

export interface UnsubscribePayload {
  session_id: string;
}

export interface CancelPayload {
  session_id: string;
  /** Defaults to the session's active run. */
  run_id?: string;
}

export interface CancelResult {
  run_id: string;
  status: string;
}

/** Client to server. */
export interface ClientToServerEvents {
  subscribe(payload: SubscribePayload, ack: (result: Ack<SubscribeResult>) => void): void;
  unsubscribe(payload: UnsubscribePayload, ack: (result: Ack) => void): void;
  cancel(payload: CancelPayload, ack: (result: Ack<CancelResult>) => void): void;
}

/** Server to client. */
export interface ServerToClientEvents {
  session_event(event: SessionEvent): void;
}
