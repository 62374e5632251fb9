import { io, type Socket } from 'socket.io-client';
import type { SessionEvent } from '../../core/events/event.ts';
import type {
  ClientToServerEvents,
  ServerToClientEvents,
  SubscribeResult,
} from '../../gateway/socket/protocol.ts';
import { ApiError, CliError, unreachableError } from './api-error.ts';
import type { GlobalOptions } from './global-options.ts';

export type SessionSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How long a connect or an ack may take before the CLI gives up. */
export const SOCKET_TIMEOUT_MS = 10_000;

/**
 * Resolves with `promise`, or rejects with `cannot reach …: <what> timed out` after `ms`.
 *
 * @example
 * ```ts
 * const ack = await withTimeout(socket.emitWithAck('cancel', { session_id }), 5_000, 'cancel', url);
 * ```
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, url: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new CliError(`no answer from ${url} to ${what} after ${ms / 1000} s`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The `connect_error` of socket.io-client: a middleware refusal carries `data.code`, a transport error a cause. */
interface ConnectError extends Error {
  data?: { code?: unknown; message?: unknown };
  description?: unknown;
  type?: string;
}

function connectFailure(url: string, error: ConnectError): CliError {
  if (typeof error.data?.code === 'string') return new ApiError(error.message, error.data.code);
  const cause = (error.description as { error?: unknown } | undefined)?.error ?? error.description;
  const unreachable = unreachableError(url, cause);
  if (error.type === 'TransportError' && /ECONNREFUSED|ENOTFOUND/.test(String(cause))) return unreachable;
  return new CliError(`cannot open the live event stream of ${url} (Socket.IO: ${error.message})`);
}

/**
 * Connects to the gateway's Socket.IO server (`auth: {token}` with `--api-key`); rejects with a clear
 * error when the first connection fails. Later drops reconnect on their own (see {@link followSession}).
 *
 * @example
 * ```ts
 * const socket = await openSessionSocket({ url: 'http://127.0.0.1:3000' });
 * socket.close();
 * ```
 */
export function openSessionSocket(options: Pick<GlobalOptions, 'url' | 'apiKey'>): Promise<SessionSocket> {
  const socket: SessionSocket = io(options.url, {
    auth: options.apiKey ? { token: options.apiKey } : {},
    // A CLI needs no long-polling fallback; WebSocket alone keeps the handshake to one round trip.
    transports: ['websocket'],
    reconnectionDelayMax: 2_000,
    timeout: SOCKET_TIMEOUT_MS,
  });
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    };
    const onConnect = () => {
      done();
      resolve(socket);
    };
    const onError = (error: ConnectError) => {
      done();
      socket.close();
      reject(connectFailure(options.url, error));
    };
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
}

export interface FollowSessionOptions {
  sessionId: string;
  /** Deliver events with `seq > afterSeq` (0: the whole history). */
  afterSeq: number;
  onEvent(event: SessionEvent): void;
  /** Lost history, a dropped connection, a failed resubscribe: worth telling, not fatal. */
  onWarning?(message: string): void;
  url: string;
}

export interface SessionFollow {
  /** The session's last seq when the first subscription started. */
  lastSeq: number;
  /** The seq of the last event delivered. */
  seen(): number;
  stop(): void;
}

/**
 * Subscribes to one session's room and delivers each event once, in seq order: the stored ones after
 * `afterSeq` first, then live ones. After a dropped connection it resubscribes from the last seq seen,
 * so nothing is missed or repeated.
 *
 * @example
 * ```ts
 * const follow = await followSession(socket, {
 *   sessionId, afterSeq: 0, url, onEvent: (event) => console.log(event.seq, event.type),
 * });
 * follow.stop();
 * ```
 */
export async function followSession(
  socket: SessionSocket,
  options: FollowSessionOptions,
): Promise<SessionFollow> {
  const { sessionId, onEvent, onWarning, url } = options;
  let lastSeq = options.afterSeq;
  const onSessionEvent = (event: SessionEvent) => {
    if (event.session_id !== sessionId || event.seq <= lastSeq) return;
    lastSeq = event.seq;
    onEvent(event);
  };
  const subscribe = async (): Promise<SubscribeResult> => {
    const ack = await withTimeout(
      socket.emitWithAck('subscribe', { session_id: sessionId, after_seq: lastSeq }),
      SOCKET_TIMEOUT_MS,
      'subscribe',
      url,
    );
    if (!ack.ok) throw new ApiError(ack.error.message, ack.error.code);
    if (!ack.recovered)
      onWarning?.(`events after seq ${lastSeq} are no longer stored: some are missing here for good`);
    return ack;
  };
  const onDisconnect = (reason: string) => {
    if (reason !== 'io client disconnect') onWarning?.(`connection lost (${reason}); reconnecting…`);
  };
  const onReconnect = () => {
    subscribe().catch((error: unknown) => onWarning?.(`resubscribing failed: ${(error as Error).message}`));
  };
  socket.on('session_event', onSessionEvent);
  let first: SubscribeResult;
  try {
    first = await subscribe();
  } catch (error) {
    socket.off('session_event', onSessionEvent);
    throw error;
  }
  socket.on('disconnect', onDisconnect);
  socket.on('connect', onReconnect);
  return {
    lastSeq: first.last_seq,
    seen: () => lastSeq,
    stop: () => {
      socket.off('session_event', onSessionEvent);
      socket.off('disconnect', onDisconnect);
      socket.off('connect', onReconnect);
    },
  };
}
