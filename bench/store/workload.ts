import { randomUUID } from 'node:crypto';
import type { SessionEvent, SessionStore, UnnumberedEvent, WriteBatch } from '../../core/index.ts';
import { envelope } from '../../core/events/envelope.ts';
import { sessionRecord, stepDraft } from '../lib/fixtures.ts';

/**
 * The store bench's workload, as many runs write at once: SESSIONS sessions, each written
 * BATCHES_PER_SESSION times with EVENTS_PER_BATCH events per write (a run's steps and tool events
 * come a few at a time), by WRITERS concurrent writers that each await a write before the next.
 */
export const SESSIONS = 500;
export const BATCHES_PER_SESSION = 10;
export const EVENTS_PER_BATCH = 4;
export const WRITERS = 50;
export const EVENTS = SESSIONS * BATCHES_PER_SESSION * EVENTS_PER_BATCH;

/** One write: a session's next few events, each with the seq the store will give it. */
export interface Append {
  sessionId: string;
  /** The events as a store is handed them (no seq). */
  events: UnnumberedEvent[];
  /** The same events numbered, as a floor stores them (it has no counter of its own). */
  numbered: SessionEvent[];
}

export interface Workload {
  sessionIds: string[];
  /** Per writer, its writes in order: round after round over its own sessions. */
  writers: Append[][];
}

/** A new workload: new session ids and envelopes (built here, untimed; encoding them is timed). */
export function workload(): Workload {
  const sessionIds = Array.from({ length: SESSIONS }, () => randomUUID());
  const ts = new Date().toISOString();
  const runId = randomUUID();
  const writers: Append[][] = Array.from({ length: WRITERS }, () => []);
  for (let round = 0; round < BATCHES_PER_SESSION; round += 1) {
    sessionIds.forEach((sessionId, s) => {
      const events = Array.from({ length: EVENTS_PER_BATCH }, (_, j) =>
        envelope(sessionId, null, stepDraft(runId, round * EVENTS_PER_BATCH + j), ts),
      );
      const numbered = events.map((e, j) => ({ ...e, seq: round * EVENTS_PER_BATCH + j + 1 }));
      writers[s % WRITERS]?.push({ sessionId, events, numbered });
    });
  }
  return { sessionIds, writers };
}

/** Creates the workload's sessions in `store` (untimed setup: the appends need them to exist). */
export async function createSessions(store: SessionStore, sessionIds: readonly string[]): Promise<void> {
  const ts = new Date().toISOString();
  const batches: WriteBatch[] = sessionIds.map((id) => ({
    session_id: id,
    create: { ...sessionRecord(ts), id },
  }));
  for (let i = 0; i < batches.length; i += 500) await store.writeMany(batches.slice(i, i + 500));
}

/** Runs every writer at once, each awaiting `append` before its next write. */
export async function runWriters(
  writers: readonly Append[][],
  append: (write: Append) => Promise<unknown>,
): Promise<void> {
  await Promise.all(
    writers.map(async (writes) => {
      for (const write of writes) await append(write);
    }),
  );
}

/** The reads the listEvents rows time: a client catching up on a session from a random seq. */
export interface Read {
  sessionId: string;
  after: number;
}

export const READS = 2_000;
/** The page size asked for (the REST default); a catch-up read returns what is left, up to it. */
export const READ_LIMIT = 100;

/** READS reads over `sessionIds`, each from a random point of a session's log. */
export function reads(sessionIds: readonly string[]): Read[] {
  const perSession = BATCHES_PER_SESSION * EVENTS_PER_BATCH;
  return Array.from({ length: READS }, (_, i) => ({
    sessionId: sessionIds[i % sessionIds.length] ?? '',
    after: Math.floor(Math.random() * perSession),
  }));
}
