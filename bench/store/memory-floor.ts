import type { SessionEvent } from '../../core/index.ts';
import type { Floor } from './floor.ts';
import type { Append } from './workload.ts';

/** The memory store's floor: each event pushed to its session's array in a Map, read by slicing it. */
export class MemoryFloor implements Floor {
  private readonly logs = new Map<string, SessionEvent[]>();

  async append({ sessionId, numbered }: Append): Promise<void> {
    let log = this.logs.get(sessionId);
    if (!log) this.logs.set(sessionId, (log = []));
    for (const event of numbered) log.push({ ...event });
  }

  async read(sessionId: string, after: number, limit: number): Promise<number> {
    return (this.logs.get(sessionId) ?? []).slice(after, after + limit).length;
  }

  async clear(sessionIds: readonly string[]): Promise<void> {
    for (const id of sessionIds) this.logs.delete(id);
  }

  async close(): Promise<void> {
    this.logs.clear();
  }
}
