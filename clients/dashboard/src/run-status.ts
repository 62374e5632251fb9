import type { SessionEvent } from './types.ts';

export type RunStatus = 'queued' | 'running' | 'awaiting approval' | 'completed' | 'failed' | 'cancelled';

export interface RunSummary {
  readonly runId: string;
  readonly status: RunStatus;
  /** The run's last error or end message, e.g. `rag_search failed: …`. */
  readonly message: string;
}

export interface PendingApproval {
  readonly runId: string;
  readonly approvalId: string;
  readonly tool: string;
  readonly input: unknown;
}

const ENDED: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);

export const isActive = (run: RunSummary | null): boolean => run !== null && !ENDED.has(run.status);

/**
 * Each run's status from its lifecycle events, in the order the runs appeared.
 *
 * @example
 * ```ts
 * runSummaries(events).at(-1); // { runId: '7d2e…', status: 'running', message: 'run started (quiz)' }
 * ```
 */
export function runSummaries(events: readonly SessionEvent[]): RunSummary[] {
  const runs = new Map<string, RunSummary>();
  const waiting = new Map<string, number>();
  for (const event of events) {
    if (!event.run_id) continue;
    const runId = event.run_id;
    const before = runs.get(runId);
    if (before && ENDED.has(before.status)) continue;
    let status = STATUS_AFTER[event.type] ?? before?.status ?? 'queued';
    // A run with an open approval waits for a person, whatever else it said meanwhile.
    const open = (waiting.get(runId) ?? 0) + approvalDelta(event);
    waiting.set(runId, open);
    if (open > 0 && status === 'running') status = 'awaiting approval';
    if (open === 0 && status === 'awaiting approval') status = 'running';
    const message = STATUS_AFTER[event.type] ? event.message : (before?.message ?? event.message);
    runs.set(runId, { runId, status, message });
  }
  return [...runs.values()];
}

/** The run the controls act on: the newest one still going, else the newest one. */
export function currentRun(events: readonly SessionEvent[]): RunSummary | null {
  const runs = runSummaries(events);
  return runs.findLast((run) => isActive(run)) ?? runs.at(-1) ?? null;
}

/** `approval.requested` events with no `approval.resolved` yet, in runs still going. */
export function pendingApprovals(events: readonly SessionEvent[]): PendingApproval[] {
  const pending = new Map<string, PendingApproval>();
  const ended = new Set<string>();
  for (const event of events) {
    const approvalId = typeof event.meta.approval_id === 'string' ? event.meta.approval_id : undefined;
    if (event.type === 'approval.requested' && approvalId && event.run_id)
      pending.set(approvalId, {
        runId: event.run_id,
        approvalId,
        tool: event.tool ?? String(event.meta.tool ?? 'tool'),
        input: event.meta.input,
      });
    if (event.type === 'approval.resolved' && approvalId) pending.delete(approvalId);
    if (event.run_id && STATUS_AFTER[event.type] && ENDED.has(STATUS_AFTER[event.type]!))
      ended.add(event.run_id);
  }
  return [...pending.values()].filter((approval) => !ended.has(approval.runId));
}

const STATUS_AFTER: Partial<Record<SessionEvent['type'], RunStatus>> = {
  'run.queued': 'queued',
  'run.started': 'running',
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
};

function approvalDelta(event: SessionEvent): number {
  if (event.type === 'approval.requested') return 1;
  if (event.type === 'approval.resolved') return -1;
  return 0;
}
