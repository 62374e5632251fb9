import type { BridgeSocket } from './bridge-server.ts';
import type { ChannelMember } from './session-channel.ts';

/**
 * A socket as a session channel's member: the replay goes to it alone, then it joins `room`.
 *
 * @example
 * ```ts
 * await channels.subscribe(sessionId, channelMember(socket, rooms.of(sessionId)), afterSeq);
 * ```
 */
export function channelMember(socket: BridgeSocket, room: string): ChannelMember {
  return {
    send: (event) => socket.emit('session_event', event),
    join: () => void socket.join(room),
    get gone() {
      return socket.disconnected;
    },
  };
}
