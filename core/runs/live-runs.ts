import { Subject } from 'rxjs';
import { TributaryError } from '../errors.ts';
import type { Session, Usage } from '../sessions/session.ts';
import type { Span } from '../telemetry.ts';
import type { InFlightToolCalls } from './in-flight-tool-calls.ts';
import type { Run } from './run.ts';

/** A run this process is executing or holding in its queue. */
export interface LiveRun {
  readonly run: Run;
  /** A copy of `run` as last handed to the store, to tell whether the next write must carry it again. */
  written: Run | null;
  readonly session: Session;
  span: Span | null;
  step: { name: string; span: Span; startedAt: number } | null;
  /** The tool attempts running now; set when the run starts. */
  toolCalls: InFlightToolCalls | null;
  ended: boolean;
  /** Its record could not be stored: nothing more of it is written. */
  withdrawn: boolean;
  /** Settles when the terminal event is stored. */
  readonly done: Promise<void>;
  finish(): void;
  /** Errors when a store write of the run fails, which fails the run. */
  readonly storeFailure$: Subject<never>;
  readonly traceparent: string | undefined;
  /** The last write queued for the run: awaiting it sees every write queued before. */
  lastWrite: Promise<void>;
  /** Which execution this is: 2 and up when a worker started it again after its worker was lost. */
  attempt: number;
  /** Where the run is posted once its terminal event is stored (createRun's `webhook`, checked). */
  webhook: URL | undefined;
  /** Tokens added to the run's usage that its session's usage has not taken yet (the next write does). */
  unsavedUsage: Usage | null;
}

/**
 * The runs this process holds, from `create` until their terminal event is queued: the in-process
 * bookkeeping the run API, the executor and the sweeper's questions (`isLive`, `countsOf`) share.
 *
 * @example
 * ```ts
 * const live = new LiveRuns();
 * const liveRun = live.track(run, session, traceparent);
 * live.isLive(session.id, run.id); // true until live.end(liveRun)
 * ```
 */
export class LiveRuns {
  readonly #runs = new Map<string, LiveRun>();

  /** Starts holding a run that was just created. */
  track(run: Run, session: Session, traceparent: string | undefined): LiveRun {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const liveRun: LiveRun = {
      run,
      written: null,
      session,
      span: null,
      step: null,
      toolCalls: null,
      ended: false,
      withdrawn: false,
      done,
      finish,
      storeFailure$: new Subject<never>(),
      traceparent,
      lastWrite: Promise.resolve(),
      attempt: 1,
      webhook: undefined,
      unsavedUsage: null,
    };
    this.#runs.set(run.id, liveRun);
    return liveRun;
  }

  /** The live run with this id; RUN_NOT_FOUND when this process does not hold it. */
  get(runId: string): LiveRun {
    const liveRun = this.#runs.get(runId);
    if (!liveRun) throw new TributaryError('RUN_NOT_FOUND', `run ${runId} is not live in this process`);
    return liveRun;
  }

  find(runId: string): LiveRun | undefined {
    return this.#runs.get(runId);
  }

  has(runId: string): boolean {
    return this.#runs.has(runId);
  }

  /** Marks the run ended and stops holding it, in the step that queues its terminal event. */
  end(liveRun: LiveRun): void {
    liveRun.ended = true;
    this.#runs.delete(liveRun.run.id);
  }

  /** The live runs of these sessions. */
  ofSessions(sessionIds: ReadonlySet<string>): LiveRun[] {
    return [...this.#runs.values()].filter((liveRun) => sessionIds.has(liveRun.run.session_id));
  }

  /** Every live run, to wait for all of them. */
  all(): LiveRun[] {
    return [...this.#runs.values()];
  }

  /**
   * Whether the run is queued or running in this process as a run of this session. A run leaves
   * this state in the same synchronous step that queues its terminal event, so a write queued for
   * the session while this is true lands before that event (see `run-guard.ts`).
   */
  isLive(sessionId: string, runId: string): boolean {
    const liveRun = this.#runs.get(runId);
    return liveRun !== undefined && !liveRun.ended && liveRun.run.session_id === sessionId;
  }

  /** `queued` and `running`, counting only runs of `userId`'s sessions. */
  countsOf(userId: string): { queued: number; running: number } {
    const counts = { queued: 0, running: 0 };
    for (const { run, session, ended } of this.#runs.values()) {
      if (ended || session.user_id !== userId) continue;
      counts[run.status === 'running' ? 'running' : 'queued'] += 1;
    }
    return counts;
  }
}
