import type { SessionEvent } from '../../core/events/event.ts';
import type { TributaryClient } from '../api-client.ts';
import { ApiError, describeError, unwrap } from './api-error.ts';
import type { CliIo } from './cli-io.ts';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from './exit-codes.ts';
import type { GlobalOptions } from './global-options.ts';
import type { AcceptedRun, RunProgress } from './run-progress.ts';
import {
  followSession,
  openSessionSocket,
  SOCKET_TIMEOUT_MS,
  withTimeout,
  type SessionSocket,
} from './session-socket.ts';
import { messageIdOf } from './streamed-text.ts';

export interface FollowRunOptions {
  run: AcceptedRun;
  api: TributaryClient;
  globals: Pick<GlobalOptions, 'url' | 'apiKey'>;
  io: CliIo;
  progress: RunProgress;
}

const isEnd = (event: SessionEvent) =>
  event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled';

/**
 * Cancels a run: over the socket (`cancel {session_id, run_id}`), or over HTTP when the socket does
 * not answer. `ended()` says the run's last event arrived meanwhile: then there is nothing left to do
 * (closing the socket also rejects the pending ack).
 */
async function cancelRun(
  socket: SessionSocket,
  options: FollowRunOptions,
  ended: () => boolean,
): Promise<void> {
  const { run, api, globals } = options;
  try {
    const ack = await withTimeout(
      socket.emitWithAck('cancel', { session_id: run.session_id, run_id: run.id }),
      SOCKET_TIMEOUT_MS / 2,
      'cancel',
      globals.url,
    );
    if (!ack.ok) throw new ApiError(ack.error.message, ack.error.code);
  } catch (error) {
    if (ended()) return;
    if (error instanceof ApiError) throw error;
    unwrap(
      await api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
        params: { path: { session_id: run.session_id, run_id: run.id } },
      }),
    );
  }
}

/**
 * Follows a run over Socket.IO until its last event (`subscribe {session_id, after_seq: 0}`, keeping
 * the run's events), renders each through `progress`, and resolves to the exit code: 0 completed,
 * 1 failed (or cancelled by someone else), 130 cancelled by Ctrl-C. The first Ctrl-C cancels the run
 * and waits for `run.cancelled`; a second one stops waiting.
 *
 * @example
 * ```ts
 * const run = unwrap(await api.POST('/v1/runs', { body: { input: { question: 'Quiz me on RxJS' } } }));
 * process.exitCode = await followRun({ run, api, globals, io: processIo(), progress });
 * ```
 */
export async function followRun(options: FollowRunOptions): Promise<number> {
  const { run, io, progress, globals } = options;
  progress.accepted(run);
  let socket: SessionSocket;
  try {
    socket = await openSessionSocket(globals);
  } catch (error) {
    progress.stop();
    throw error;
  }
  let interrupted = false;
  let finalMessage: string | undefined;
  // Messages whose text the progress already wrote as it streamed: not repeated at the end.
  const streamed = new Set<string>();
  return new Promise<number>((resolve, reject) => {
    let settled = false;
    let stopFollowing = () => {};
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      offSignal();
      stopFollowing();
      socket.close();
      outcome();
    };
    const offSignal = io.onSignal('SIGINT', () => {
      if (interrupted) {
        progress.warn('stopped waiting; the run may still be cancelling');
        progress.stop();
        settle(() => resolve(EXIT_INTERRUPTED));
        return;
      }
      interrupted = true;
      progress.note('cancelling… (Ctrl-C again to stop waiting)');
      cancelRun(socket, options, () => settled).catch((error: unknown) => {
        if (!settled) progress.warn(`could not cancel: ${describeError(error)}`);
      });
    });
    const onEvent = (event: SessionEvent) => {
      if (event.run_id !== run.id || settled) return;
      progress.event(event);
      const id = messageIdOf(event);
      if (event.type === 'message.delta' && id !== null) streamed.add(id);
      if (event.type === 'message' && event.meta.role === 'assistant')
        finalMessage = id !== null && streamed.has(id) ? undefined : event.message;
      if (!isEnd(event)) return;
      progress.finish(event, finalMessage);
      const code =
        event.type === 'run.completed'
          ? EXIT_OK
          : event.type === 'run.cancelled' && interrupted
            ? EXIT_INTERRUPTED
            : EXIT_FAILED;
      settle(() => resolve(code));
    };
    followSession(socket, {
      sessionId: run.session_id,
      afterSeq: 0,
      url: globals.url,
      onEvent,
      onWarning: (message) => progress.warn(message),
    }).then(
      (follow) => {
        if (settled) follow.stop();
        else stopFollowing = () => follow.stop();
      },
      (error: unknown) => {
        progress.stop();
        settle(() => reject(error));
      },
    );
  });
}
