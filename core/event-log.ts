import { TributaryError } from './errors.ts';
import type { EventDraft, SessionEvent } from './event.ts';
import type { EventHub } from './event-hub.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { redact } from './redact.ts';
import type { Session, SessionPatch } from './session.ts';
import type { SessionStore, UnnumberedEvent, WriteBatch } from './session-store.ts';
import { newId, nowIso } from './uuid.ts';

/** A change to one session and the events that tell of it, before the log numbers them. */
export interface Commit extends Omit<WriteBatch, 'events' | 'patch'> {
  /** The session's trace id, stamped on every event (one trace per session). */
  trace_id: string | null;
  /**
   * A patch, or a function of the session as it is when the write runs: read-modify-write
   * changes (counters, `data` merges) see every earlier write of the session.
   */
  patch?: SessionPatch | ((current: Session) => SessionPatch);
  events?: readonly EventDraft[];
}

/**
 * The only writer of events. It builds envelopes (uuid, ISO `ts`, trace id, redacted `meta`),
 * writes them with the state change they describe in one atomic store write, then publishes them
 * to the hub. Writes of one session are queued, so events are published in `seq` order.
 *
 * @example
 * ```ts
 * const [event] = await log.commit({ session_id, trace_id, events: [{ type: 'progress', message: 'half way' }] });
 * event.seq; // next seq of the session
 * ```
 */
export class EventLog {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly store: SessionStore,
    private readonly hub: EventHub,
  ) {}

  commit(change: Commit): Promise<SessionEvent[]> {
    return this.queue.run(change.session_id, async () => {
      const events = await this.store.write(await this.toBatch(change));
      return this.publish(events);
    });
  }

  /**
   * Commits many sessions' changes in one store write (the sweeper expiring thousands at once),
   * after the writes already queued for those sessions.
   */
  async commitMany(changes: readonly Commit[]): Promise<SessionEvent[][]> {
    await this.queue.idle();
    const batches = await Promise.all(changes.map((change) => this.toBatch(change)));
    const written = await this.store.writeMany(batches);
    return written.map((events) => this.publish(events));
  }

  /** Resolves when every queued write has settled (used by shutdown). */
  flush(): Promise<void> {
    return this.queue.idle();
  }

  private async toBatch({ trace_id, events = [], patch, ...rest }: Commit): Promise<WriteBatch> {
    const ts = nowIso();
    const batch: WriteBatch = {
      ...rest,
      events: events.map((draft) => envelope(rest.session_id, trace_id, draft, ts)),
    };
    if (typeof patch === 'function') {
      const current = await this.store.getSession(rest.session_id);
      if (!current)
        throw new TributaryError('SESSION_NOT_FOUND', `session ${rest.session_id} not found`, {
          field: 'session_id',
        });
      batch.patch = patch(current);
    } else if (patch) {
      batch.patch = patch;
    }
    return batch;
  }

  private publish(events: SessionEvent[]): SessionEvent[] {
    const frozen = events.map(deepFreeze);
    this.hub.publish(frozen);
    return frozen;
  }
}

/** Builds the envelope of DESIGN.md for a draft; `seq` is the store's to give. */
export function envelope(
  sessionId: string,
  traceId: string | null,
  draft: EventDraft,
  ts: string,
): UnnumberedEvent {
  return {
    id: newId(),
    ts,
    session_id: sessionId,
    run_id: draft.run_id ?? null,
    type: draft.type,
    step: draft.step ?? null,
    tool: draft.tool ?? null,
    level: draft.level ?? (draft.type === 'run.failed' || draft.type === 'tool.failed' ? 'error' : 'info'),
    message: draft.message ?? '',
    meta: redact(draft.meta ?? {}),
    trace_id: traceId,
  };
}

// Published events are shared by every listener; freezing them keeps one listener from changing another's.
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
