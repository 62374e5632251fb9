import type { Logger } from '../logger.ts';
import { catchError, EMPTY, exhaustMap, from, timer, type Subscription } from 'rxjs';
import type { SessionPolicy } from './session-policy.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { Sessions } from './sessions.ts';
import type { EventLog } from '../events/event-log.ts';
import { nowIso } from '../uuid.ts';

export interface SweeperDeps {
  store: SessionStore;
  sessions: Sessions;
  log: EventLog;
  policy: SessionPolicy;
  /** The sessions this process runs or queues a run of: they are never idled or expired. */
  busySessions(): Iterable<string>;
  intervalMs: number;
  logger: Logger;
}

export interface SweepResult {
  idled: number;
  expired: number;
}

/**
 * The TTL sweeper, an RxJS timer stream: `active` sessions with no activity for `IDLE_AFTER_SECONDS`
 * turn `idle` (a `session.updated` event), `idle` ones past `SESSION_TTL_SECONDS` more get
 * `session.expired` and are freed. Sessions with a run (queued or running, in any process) are never
 * touched. A slow sweep is never overlapped by the next tick (`exhaustMap`). Every process may sweep
 * the same store: the expiry is one set-based store step that checks each session's condition as it
 * writes (`SessionStore.expireDue`), and each idle write is conditional on the session being as the
 * sweep read it, so each session is idled and expired exactly once, and one touched meanwhile is
 * left alone.
 *
 * @example
 * ```ts
 * sweeper.start();
 * await sweeper.sweep({ force: true }); // expire every session without a run, now
 * ```
 */
export class Sweeper {
  private subscription: Subscription | null = null;

  constructor(private readonly deps: SweeperDeps) {}

  start(): void {
    if (this.subscription) return;
    const { intervalMs, logger } = this.deps;
    this.subscription = timer(intervalMs, intervalMs)
      .pipe(
        exhaustMap(() =>
          from(this.sweep()).pipe(
            catchError((error: unknown) => {
              logger.error({ err: error }, 'session sweep failed; next tick retries');
              return EMPTY;
            }),
          ),
        ),
      )
      .subscribe();
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  async sweep({ force = false }: { force?: boolean } = {}): Promise<SweepResult> {
    const { store, policy, sessions } = this.deps;
    const now = Date.now();
    const idleBefore = nowIso(now - policy.idleAfterMs);
    const expireBefore = nowIso(now - policy.idleAfterMs - policy.ttlMs);
    // Read before the expiry, which only takes idle sessions: an active session is idled by this
    // sweep and expired by a later one, never both at once. With force nothing is left to idle.
    const toIdle = force ? [] : (await store.sweepCandidates({ idleBefore, force: false })).toIdle;
    const busy = () => this.deps.busySessions();
    // Expired in the store without reading them first: one statement, not one write per session.
    const expired = (await sessions.expireDue({ expireBefore, force, busy })).length;
    const busyNow = new Set(busy());
    const idle = toIdle.filter((candidate) => !busyNow.has(candidate.id));
    const ts = nowIso(now);
    let idled = 0;
    if (idle.length > 0) {
      // One patch and one draft list shared by every commit: the log and the stores only read them.
      const patch = { state: 'idle' as const, updated_at: ts };
      const events = [{ type: 'session.updated' as const, message: 'session idle', meta: { state: 'idle' } }];
      // Each write expects the session as it was read: one touched since, or idled by another
      // process's sweep, is skipped by the store, atomically.
      const written = await this.deps.log.commitMany(
        idle.map(({ id, trace_id, state, last_active_at }) => ({
          session_id: id,
          trace_id,
          expect: { state, last_active_at },
          patch,
          events,
        })),
      );
      idled = written.filter((events) => events.length > 0).length;
    }
    if (idled + expired > 0) this.deps.logger.info({ idled, expired }, 'sessions swept');
    return { idled, expired };
  }
}
