import type { Usage } from '../sessions/session.ts';

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

/** What a second run on a busy session does (LangGraph Server's `multitask_strategy`). */
export const MULTITASK_STRATEGIES = ['reject', 'enqueue', 'interrupt'] as const;
export type MultitaskStrategy = (typeof MULTITASK_STRATEGIES)[number];

export interface RunError {
  code: string;
  message: string;
  /** Why it ended: `interrupted` after a crash, `timeout`, `rejected`, … */
  reason?: string;
}

/**
 * A run: one execution of a flow inside a session.
 *
 * @example
 * ```ts
 * const run = await runtime.runs.create(session.id, { input: { question: 'quiz me on RxJS' } });
 * run.status; // 'running' or 'queued'
 * ```
 */
export interface Run {
  id: string;
  session_id: string;
  flow: string;
  status: RunStatus;
  multitask: MultitaskStrategy;
  input: Record<string, unknown>;
  result: unknown;
  error: RunError | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  usage: Usage;
}

export function isFinished(status: RunStatus): boolean {
  return FINISHED_RUN_STATUSES.includes(status);
}
