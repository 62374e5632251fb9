import type { TributaryError } from '../errors.ts';
import type { MultitaskStrategy } from '../runs/run.ts';

/** What the queue knows of a run: its id and the session it holds. */
export interface RunQueueJob {
  readonly id: string;
  readonly sessionId: string;
}

/**
 * Why a run waits: every slot is taken, its session has an active run, or (cluster) it was handed
 * back by a worker that shut down and waits to be started again.
 */
export type QueueReason = 'concurrency_limit' | 'session_busy' | 'requeued';

/**
 * The run-queue port: admission and ordering of runs, with bounded concurrency and one active run
 * per session. `Runs` submits and cancels through it and reads its counts; the queue calls back
 * when a run is queued, starts and ends. Today's adapter is `RunScheduler` (in-process, RxJS
 * `mergeMap` with a limit); a BullMQ adapter will share the queue and the per-session lock between
 * processes.
 *
 * @example
 * ```ts
 * const queue: RunQueue = new RunScheduler({ limit: 3, work, onEnded });
 * queue.submit({ id: run.id, sessionId }, 'enqueue'); // 'running' or 'queued'
 * queue.position(run.id);                              // 1-based while queued
 * queue.cancel(run.id, 'user pressed stop');           // true when it was waiting or running
 * ```
 */
export interface RunQueue<J extends RunQueueJob = RunQueueJob> {
  /** Queues or starts a run; throws what {@link RunQueue.refusal} names. */
  submit(job: J, multitask: MultitaskStrategy): 'running' | 'queued';
  /** Why `submit` would refuse now (SHUTTING_DOWN, or SESSION_BUSY for `reject`), if it would. */
  refusal(sessionId: string, multitask: MultitaskStrategy): TributaryError | undefined;
  /** Cancels a waiting or running run; false when it is unknown or already ended. */
  cancel(jobId: string, reason: string): boolean;
  /** 1-based place in the queue, or undefined when the run is not waiting. */
  position(jobId: string): number | undefined;
  /** The run holding a session (running, or waiting for a slot). */
  activeJob(sessionId: string): J | undefined;
  /** Runs executing now. */
  readonly running: number;
  /** Runs waiting for a slot. */
  readonly queued: number;
  /** Stops accepting runs, lets running ones finish for `drainMs`, cancels the rest; resolves when all ended. */
  shutdown(drainMs: number): Promise<void>;
}
