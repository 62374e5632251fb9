import type { Checkpoint, StoredCheckpoint } from './checkpoint.ts';
import type { CheckpointCipher } from './checkpoint-cipher.ts';
import { TributaryError } from '../errors.ts';
import type { EventLog } from '../events/event-log.ts';
import { redact } from '../events/redact.ts';
import { closedRunError, type IsRunLive } from '../runs/run-guard.ts';
import type { SessionPolicy } from '../sessions/session-policy.ts';
import { touch } from '../sessions/session-policy.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { Sessions } from '../sessions/sessions.ts';
import { newId, nowIso } from '../uuid.ts';
import { wellFormed } from '../events/well-formed.ts';

export interface CheckpointsDeps {
  store: SessionStore;
  log: EventLog;
  sessions: Sessions;
  cipher: CheckpointCipher;
  policy: SessionPolicy;
  /** Whether a run may still take a checkpoint (`Runs.isLive`). */
  isRunLive: IsRunLive;
}

/**
 * Saved flow state per session: save, list, get, latest, delete, clear.
 * State is redacted of secrets, then sealed (AES-256-GCM when `CHECKPOINT_KEY` is set). A checkpoint
 * naming a run needs that run live: RUN_NOT_FOUND or RUN_FINISHED otherwise.
 *
 * @example
 * ```ts
 * await checkpoints.save(sessionId, { step: 'retrieval_done', chunks: 4 }, { label: 'after retrieval' });
 * const last = await checkpoints.latest(sessionId);
 * ```
 */
export class Checkpoints {
  constructor(private readonly deps: CheckpointsDeps) {}

  async save(
    sessionId: string,
    state: Record<string, unknown>,
    options: { run_id?: string | null; label?: string | null } = {},
  ): Promise<Checkpoint> {
    if (state === null || typeof state !== 'object' || Array.isArray(state)) {
      throw new TributaryError('INVALID_ARGUMENT', 'checkpoint state must be a JSON object', {
        field: 'state',
      });
    }
    const session = await this.deps.sessions.getWritable(sessionId);
    const runId = options.run_id ?? null;
    // A run that is not live has ended: its terminal event must stay its last (see run-guard.ts).
    if (runId !== null && !this.deps.isRunLive(sessionId, runId))
      throw await closedRunError(this.deps.store, sessionId, runId);
    // No await from the check to the commit, so a live run's terminal event is queued after this one.
    const id = newId();
    const stored: StoredCheckpoint = {
      id,
      session_id: sessionId,
      run_id: runId,
      label: wellFormed(options.label ?? null),
      // Sealed here, so the log cannot see into it: its strings are made well-formed first.
      payload: this.deps.cipher.seal(wellFormed(redact(state)), aad(sessionId, id)),
      created_at: nowIso(),
    };
    await this.deps.log.commit({
      session_id: sessionId,
      trace_id: session.trace_id,
      checkpoints: [stored],
      patch: (current) => touch(this.deps.policy, current),
      events: [
        {
          type: 'checkpoint.saved',
          run_id: stored.run_id,
          message: stored.label ? `checkpoint saved: ${stored.label}` : 'checkpoint saved',
          meta: { checkpoint_id: id, label: stored.label, encrypted: this.deps.cipher.encrypts },
        },
      ],
    });
    return this.open(stored);
  }

  async list(sessionId: string): Promise<Checkpoint[]> {
    await this.deps.sessions.get(sessionId);
    return (await this.deps.store.listCheckpoints(sessionId)).map((stored) => this.open(stored));
  }

  async get(sessionId: string, checkpointId: string): Promise<Checkpoint> {
    await this.deps.sessions.get(sessionId);
    const stored = await this.deps.store.getCheckpoint(sessionId, checkpointId);
    if (!stored) throw notFound(checkpointId);
    return this.open(stored);
  }

  /** The newest checkpoint, or CHECKPOINT_NOT_FOUND when the session has none. */
  async latest(sessionId: string): Promise<Checkpoint> {
    await this.deps.sessions.get(sessionId);
    const stored = await this.deps.store.latestCheckpoint(sessionId);
    if (!stored)
      throw new TributaryError('CHECKPOINT_NOT_FOUND', `session ${sessionId} has no checkpoint`, {
        field: 'session_id',
      });
    return this.open(stored);
  }

  async delete(sessionId: string, checkpointId: string): Promise<void> {
    await this.deps.sessions.get(sessionId);
    if ((await this.deps.store.deleteCheckpoints(sessionId, checkpointId)) === 0)
      throw notFound(checkpointId);
  }

  /** Deletes all of a session's checkpoints; returns how many there were. */
  async clear(sessionId: string): Promise<number> {
    await this.deps.sessions.get(sessionId);
    return this.deps.store.deleteCheckpoints(sessionId);
  }

  private open(stored: StoredCheckpoint): Checkpoint {
    const { payload, ...rest } = stored;
    return { ...rest, state: this.deps.cipher.open(payload, aad(stored.session_id, stored.id)) };
  }
}

const aad = (sessionId: string, checkpointId: string) => `${sessionId}/${checkpointId}`;

const notFound = (checkpointId: string) =>
  new TributaryError('CHECKPOINT_NOT_FOUND', `checkpoint ${checkpointId} not found`, {
    field: 'checkpoint_id',
  });
