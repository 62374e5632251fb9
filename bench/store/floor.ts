import type { SessionStore } from '../../core/index.ts';
import type { Append } from './workload.ts';

/**
 * The same appends and reads as a store gets, done the plainest way its backend allows: what a
 * store of that kind cannot beat. Each store's rows are ratios to its own floor.
 */
export interface Floor {
  append(write: Append): Promise<void>;
  /** Reads `limit` events of `sessionId` after `after`; resolves with how many it read. */
  read(sessionId: string, after: number, limit: number): Promise<number>;
  /** Forgets the sessions (untimed, between runs). */
  clear(sessionIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** A store and its floor, on the same backend. */
export interface Contender {
  kind: 'memory' | 'sqlite' | 'redis';
  store: SessionStore;
  floor: Floor;
  /** Closes both and removes what they wrote. */
  close(): Promise<void>;
}
