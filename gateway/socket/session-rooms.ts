import { randomBytes } from 'node:crypto';

/**
 * The bridge's rooms on one gateway node: `session:<id>@<node>`, one per session per node.
 *
 * Why per node: each node forwards a session's events to its own members from its own core
 * subscription. With one room per session across nodes, a broadcast through the cluster adapter
 * would reach every node's members once per forwarding node. Because the broadcast still goes
 * through the adapter, each event gets an offset in the adapter's stream, and connection state
 * recovery works on any node (see `socket-bridge.ts`).
 *
 * @example
 * ```ts
 * const rooms = new SessionRooms();
 * rooms.of('s1');                 // 'session:s1@3f9a0c1b2d4e'
 * rooms.parse(rooms.of('s1'));    // { sessionId: 's1', node: '3f9a0c1b2d4e', own: true }
 * rooms.parse('some-socket-id');  // null: not a session room
 * ```
 */
export class SessionRooms {
  constructor(readonly node: string = randomBytes(6).toString('hex')) {}

  /** This node's room of the session. */
  of(sessionId: string): string {
    return `${PREFIX}${sessionId}@${this.node}`;
  }

  /** The session and node of a session room (of any node); null for any other room. */
  parse(room: string): { sessionId: string; node: string; own: boolean } | null {
    const at = room.lastIndexOf('@');
    if (!room.startsWith(PREFIX) || at < PREFIX.length) return null;
    const node = room.slice(at + 1);
    return { sessionId: room.slice(PREFIX.length, at), node, own: node === this.node };
  }
}

const PREFIX = 'session:';
