import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { redisCluster, type RedisCluster } from '../../platform/redis-cluster.ts';
import { RedisStore } from '../../stores/redis/redis-store.ts';
import { CuttingProxy } from '../fixtures/cutting-proxy.ts';

const ROOM = 'blip-room';

/** A Socket.IO server on the cluster's adapter, on a free port; its clients join ROOM when they ask. */
async function socketServer(cluster: RedisCluster): Promise<{ io: Server; http: HttpServer; url: string }> {
  const http = createServer();
  const io = new Server(http, { adapter: cluster.socketAdapter });
  io.on('connection', (socket) => {
    socket.on('join', async (ack: () => void) => {
      await socket.join(ROOM);
      ack();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { io, http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

describe('Redis connections of a gateway process after a network blip (Redis stays up)', () => {
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  });

  it('keeps the Socket.IO adapter reading: a broadcast from another process still arrives after the blip', async () => {
    const shared = new URL(inject('redisUrl'));
    const proxy = await CuttingProxy.start(shared.hostname, Number(shared.port || 6379));
    cleanup.push(() => proxy.close());
    const viaProxy = new URL(shared);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const prefix = `tributary-test:${randomUUID()}:`;
    cleanup.push(async () => {
      // The adapter's stream is the only key the test writes.
      const admin = new Redis(shared.toString());
      await admin.del(`${prefix}socket.io`);
      await admin.quit();
    });
    const logger = pino({ level: 'silent' });

    // Process A talks to Redis directly; process B goes through the proxy, which will cut it off.
    const nodes = [shared, viaProxy].map((url) => {
      const store = new RedisStore({ url: url.toString(), prefix });
      const cluster = redisCluster(store, logger);
      cleanup.push(async () => {
        await cluster.close();
        await store.close();
      });
      return cluster;
    });
    const [a, b] = await Promise.all(nodes.map(socketServer));
    for (const server of [a!, b!]) cleanup.push(() => server.io.close());

    const received: number[] = [];
    const client: ClientSocket = connect(b!.url, { transports: ['websocket'] });
    cleanup.push(() => client.disconnect());
    client.on('news', (n: number) => received.push(n));
    await client.emitWithAck('join');

    // B's adapter reads only what is added once its first XREAD is in: say it again until it hears.
    await vi.waitFor(
      () => {
        a!.io.to(ROOM).emit('news', 1);
        expect(received).toContain(1);
      },
      { timeout: 10_000, interval: 50 },
    );

    // B's adapter has a blocking XREAD in flight; the blip cuts it off unanswered.
    proxy.cutAll();
    a!.io.to(ROOM).emit('news', 2);
    await vi.waitFor(() => expect(received).toContain(2), { timeout: 15_000, interval: 20 });
  }, 30_000);
});
