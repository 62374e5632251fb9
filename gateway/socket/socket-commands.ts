import type { Logger } from 'pino';
import { assertSeqCursor, KeyedQueue, type Runtime } from '../../core/index.ts';
import { isServerFault, toAckError } from './ack-error.ts';
import type { BridgeSocket } from './bridge-server.ts';
import { type Ack, type CancelResult, type SubscribeResult } from './protocol.ts';
import { channelMember } from './channel-member.ts';
import type { SessionRooms } from './session-rooms.ts';
import { readableSession } from '../session-access.ts';
import type { SessionChannels } from './session-channels.ts';
import { validatePayload, type CommandName, type PayloadOf } from './validate-payload.ts';

export interface SocketCommandsDeps {
  runtime: Runtime;
  channels: SessionChannels;
  rooms: SessionRooms;
  logger: Logger;
}

/** Why a run cancelled over the socket ended: `run.cancelled`'s `meta.reason`, and its signal's reason. */
const CANCEL_REASON = 'cancelled over Socket.IO';

/** The success part of each command's ack. */
interface Results {
  subscribe: SubscribeResult;
  unsubscribe: object;
  cancel: CancelResult;
}

/**
 * Handles `subscribe`, `unsubscribe` and `cancel` of one socket. Every command is validated, runs,
 * and is acked `{ ok: true, … }` or `{ ok: false, error }`; nothing a client sends can throw out of a
 * handler. Subscribe and unsubscribe of one session take effect in the order the socket sent them.
 *
 * @example
 * ```ts
 * io.on('connection', (socket) => registerSocketCommands(socket, { runtime, channels, rooms, logger }));
 * ```
 */
export function registerSocketCommands(socket: BridgeSocket, deps: SocketCommandsDeps): void {
  const { runtime, channels, rooms } = deps;
  const user = () => socket.data.user ?? null;
  // A subscribe waits for the store and its replay: an unsubscribe sent after it must not overtake it.
  const order = new KeyedQueue();

  const handle = <C extends CommandName>(
    command: C,
    execute: (payload: PayloadOf<C>) => Promise<Results[C]>,
  ) => {
    return (...args: unknown[]): void => {
      // `emit('subscribe', ack)` with no payload: the function is the ack.
      const [first, second] = args;
      const [payload, ack] =
        typeof first === 'function' && args.length === 1 ? [undefined, first] : [first, second];
      const reply = (result: Ack<Results[C]>) => {
        if (typeof ack !== 'function') return;
        try {
          (ack as (result: Ack<Results[C]>) => void)(result);
        } catch (error) {
          deps.logger.warn({ err: error, command, socket_id: socket.id }, 'socket ack failed');
        }
      };
      void (async () => {
        try {
          const valid = validatePayload(command, payload);
          reply({ ok: true, ...(await execute(valid)) });
        } catch (error) {
          const ackError = toAckError(error);
          if (isServerFault(ackError))
            deps.logger.error({ err: error, command, socket_id: socket.id }, 'socket command failed');
          reply({ ok: false, error: ackError });
        }
      })();
    };
  };

  socket.on(
    'subscribe',
    handle('subscribe', ({ session_id, after_seq = 0 }) =>
      order.run(session_id, async () => {
        await readableSession(runtime, user(), session_id);
        const { recovered, last_seq: stored } = await runtime.events.history(session_id, after_seq);
        assertSeqCursor(session_id, stored, after_seq, 'after_seq', 'after_seq');
        const last_seq = await channels.subscribe(
          session_id,
          channelMember(socket, rooms.of(session_id)),
          after_seq,
        );
        return { last_seq, recovered };
      }),
    ),
  );

  socket.on(
    'unsubscribe',
    handle('unsubscribe', ({ session_id }) =>
      order.run(session_id, async () => {
        // Leaving a room one is not in is a no-op: unsubscribe needs no store read and leaks nothing.
        await socket.leave(rooms.of(session_id));
        return {};
      }),
    ),
  );

  socket.on(
    'cancel',
    handle('cancel', async ({ session_id, run_id }) => {
      await readableSession(runtime, user(), session_id);
      // Without a run id, core's rule picks the run (`cancelActive`), as for every transport.
      const run =
        run_id === undefined
          ? await runtime.runs.cancelActive(session_id, CANCEL_REASON)
          : await runtime.runs.cancel(session_id, run_id, CANCEL_REASON);
      return { run_id: run.id, status: run.status };
    }),
  );
}
