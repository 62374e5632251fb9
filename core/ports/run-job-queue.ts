import type { EventDraft } from '../events/event.ts';
import type { MultitaskStrategy } from '../runs/run.ts';
import type { QueueReason } from './run-queue.ts';

/** A run as the cluster's queue carries it: enough to find it in the store and to order it fairly. */
export interface RunJob {
  readonly runId: string;
  readonly sessionId: string;
  /** The session's owner: runs are taken in turn between users (fairness). */
  readonly userId: string;
  /** The W3C `traceparent` of the request that created the run; its span links to it. */
  readonly traceparent?: string;
  /**
   * The run's completion webhook URL, checked by the api node that created the run; whichever node
   * writes the run's terminal event delivers it (docs/webhooks.md, "Clusters").
   */
  readonly webhook?: string;
}

/** Where a submitted run waits: its 1-based place and why it waits. */
export interface RunAdmission {
  readonly position: number;
  readonly reason: QueueReason;
}

/** What a worker knows of the job it executes. */
export interface RunJobContext {
  /** Aborts with the cancel's reason (a string) when any node cancels the run. */
  readonly signal: AbortSignal;
  /** 1 for the first execution; 2 and up when the run was started again after its worker was lost. */
  readonly attempt: number;
  /** Aborts when this worker shuts down and its drain time is over. */
  readonly stopping: AbortSignal;
}

/**
 * How a worker's execution of a run ended: `ended` once its terminal event is stored (or it had none
 * to write: the run or its session is gone, or it had ended), `handed_back` when it stopped for a
 * shutdown and goes back to the queue to be started again.
 */
export type RunJobResult = 'ended' | 'handed_back';

/**
 * A request for the process executing a run, which alone holds its live state: an approval's answer,
 * or a `progress` event posted for the run (checked and written there, so the run's terminal event
 * stays its last).
 */
export type RunCommand =
  | {
      readonly kind: 'approve';
      readonly sessionId: string;
      readonly approvalId: string;
      readonly answer: { approve: boolean; input?: unknown };
    }
  | { readonly kind: 'progress'; readonly sessionId: string; readonly draft: Omit<EventDraft, 'type'> };

/** The executing process's answer to a {@link RunCommand}: its result, or the coded error it threw. */
export type RunCommandReply =
  | { readonly ok: true; readonly value?: unknown }
  | {
      readonly ok: false;
      readonly error: {
        code: string;
        message: string;
        field?: string;
        details?: Record<string, unknown>;
      };
    };

/** Core's side of the cluster queue: executes the runs a worker takes, and ends the ones it lost. */
export interface RunJobHandler {
  /** Executes the run; never rejects for the run's own failure (that is its terminal event). */
  execute(job: RunJob, context: RunJobContext): Promise<RunJobResult>;
  /**
   * The run's worker was lost (killed, or stalled past the retry limit) and the run will not be
   * started again: write its terminal event (`run.failed`, `RUN_INTERRUPTED`) unless it has one.
   */
  lost(job: RunJob, why: string): Promise<void>;
  /** Answers a command for a run this process executes; undefined when it does not hold the run. */
  answer(runId: string, command: RunCommand): Promise<RunCommandReply | undefined>;
}

/**
 * The cluster's run queue (a port; `BullmqRunQueue` implements it on Redis): admission and ordering
 * of runs shared by every process. A session's runs form one line (one active run per session,
 * `multitask` decided atomically); the line's head is a job any worker process may take, under one
 * global concurrency limit, in turn between users. Cancel reaches the run wherever it executes.
 *
 * @example
 * ```ts
 * await queue.submit({ runId, sessionId, userId }, 'enqueue', (admission) => storeRun(admission)); // admission: { position: 1, reason: 'concurrency_limit' }
 * queue.process(handler); // worker processes: execute the runs this process takes
 * await queue.cancel(job, 'user pressed stop', () => writeCancelled(run));
 * ```
 */
export interface RunJobQueue {
  /**
   * Puts the run in its session's line, atomically across processes: SESSION_BUSY for `reject`
   * when the session has a run, behind the session's runs for `enqueue`, right behind the active
   * run for `interrupt` (resolving with that run's id, for the caller to cancel). `write` stores the
   * run's record and `run.queued` at the admitted place; only once it has does the run become a job a
   * worker may take. A `write` that rejects takes the place back (the session's next run moves up)
   * and `submit` rejects with its error.
   */
  submit(
    job: RunJob,
    multitask: MultitaskStrategy,
    write: (admission: RunAdmission) => Promise<void>,
  ): Promise<{ interrupted?: string }>;
  /**
   * Cancels the run wherever it is. Not started yet: it leaves the queue, `ended` writes its terminal
   * event (given the job as it was submitted, with its `webhook`, or `job` when the queue no longer
   * has it), and only then does the session's next run move up (`removed`). Executing on some worker:
   * that worker's signal for it aborts with `reason` (`signalled`).
   */
  cancel(
    job: RunJob,
    reason: string,
    ended: (submitted: RunJob) => Promise<void>,
  ): Promise<'removed' | 'signalled'>;
  /**
   * Sends a command to the process executing the run and resolves with its reply; undefined when no
   * process answers within a second (the run is not executing anywhere).
   */
  ask(runId: string, command: RunCommand): Promise<RunCommandReply | undefined>;
  /** The run at the head of a session's line (queued for a worker, or executing), if any. */
  holder(sessionId: string): Promise<string | undefined>;
  /** Makes this process a worker: it takes jobs and executes them through `handler`. */
  process(handler: RunJobHandler): Promise<void>;
  /** Runs this process executes now. */
  readonly running: number;
  /**
   * Stops taking jobs; running ones get `drainMs` to end, then their `stopping` signal aborts; resolves
   * when every one has returned. Closes the queue's connections.
   */
  close(drainMs: number): Promise<void>;
}
