import type { Redis } from 'ioredis';
import type { Floor } from './floor.ts';
import type { Append } from './workload.ts';

/**
 * The Redis store's floor: the same stream appends as raw ioredis commands, one pipeline of XADDs
 * (entry id `<seq>-0`, one field holding the event's JSON) per write, and one XRANGE per read.
 * No script, no session hash, no counter, no index.
 */
export class RedisFloor implements Floor {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async append({ sessionId, numbered }: Append): Promise<void> {
    const key = this.key(sessionId);
    const pipeline = this.redis.pipeline();
    for (const event of numbered) pipeline.xadd(key, `${event.seq}-0`, 'e', JSON.stringify(event));
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
  }

  async read(sessionId: string, after: number, limit: number): Promise<number> {
    return (await this.redis.xrange(this.key(sessionId), `${after + 1}-0`, '+', 'COUNT', limit)).length;
  }

  async clear(sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length > 0) await this.redis.unlink(...sessionIds.map((id) => this.key(id)));
  }

  async close(): Promise<void> {
    // The connection is the contender's; it closes it.
  }

  private key(sessionId: string): string {
    return `${this.prefix}floor:${sessionId}`;
  }
}
