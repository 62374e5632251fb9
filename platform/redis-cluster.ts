import type { Logger } from 'pino';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { ServerOptions } from 'socket.io';
import { errorMessage } from '../core/index.ts';
import { RedisEventBus, type RedisStore } from '../stores/index.ts';

/** What lets several gateway processes on one Redis serve every session alike. */
export interface RedisCluster {
  /** Committed events of every process, to this process's listeners (core `events$`, SSE, rooms). */
  bus: RedisEventBus;
  /** Socket.IO's Redis Streams adapter: rooms, broadcasts and connection state recovery across nodes. */
  socketAdapter: NonNullable<ServerOptions['adapter']>;
  /** Releases the connections of both (the store's own connection closes with the store). */
  close(): Promise<void>;
}

/** How long the adapter's stream read blocks: a closed node lets go of its connection within it. */
const ADAPTER_BLOCK_MS = 1_000;

/**
 * The cross-process parts for a {@link RedisStore}: a {@link RedisEventBus} on the store's
 * connection and the Socket.IO Redis Streams adapter on a connection of its own, with every key
 * under the store's prefix (`<prefix>socket.io` stream, `<prefix>sio:session:*` recovery sessions).
 *
 * @example
 * ```ts
 * const cluster = redisCluster(store, logger);
 * const runtime = await Runtime.start({ config, store, bus: cluster.bus, registry });
 * attachSocketBridge(server, { runtime, adapter: cluster.socketAdapter, … });
 * ```
 */
export function redisCluster(store: RedisStore, logger: Logger): RedisCluster {
  const bus = new RedisEventBus(store, logger.child({ component: 'live-events' }));
  // The adapter publishes on this one and duplicates it for its stream reads and pub/sub.
  // Commands a dropped connection cut off are sent again (ioredis's default; the store turns it off
  // for its writes): otherwise ioredis would forget the adapter's blocking XREAD and its read loop
  // would stall for good. A broadcast cut off the same way may go out twice.
  const publisher = store.redis.duplicate({ autoResendUnfulfilledCommands: true });
  publisher.on('error', (error: unknown) =>
    logger.warn({ err: errorMessage(error) }, 'Socket.IO adapter: Redis connection error; reconnecting'),
  );
  const socketAdapter = createAdapter(publisher, {
    streamName: `${store.prefix}socket.io`,
    sessionKeyPrefix: `${store.prefix}sio:session:`,
    channelPrefix: `${store.prefix}socket.io`,
    blockTimeInMs: ADAPTER_BLOCK_MS,
  });
  return {
    bus,
    socketAdapter,
    close: async () => {
      await bus.shutdown();
      await publisher.quit().catch(() => publisher.disconnect());
    },
  };
}
