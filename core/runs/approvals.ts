import { TributaryError } from '../errors.ts';
import { newId, nowIso } from '../uuid.ts';

/** How a wait for approval ended. Only `resolve` approves; timeouts and cancels come from the waiting tool call. */
export type ApprovalDecision =
  { approve: true; input?: unknown } | { approve: false; reason: 'rejected' | 'timeout' | 'cancelled' };

/** What a person answers through `resolveApproval`. */
export interface ApprovalAnswer {
  approve: boolean;
  /** Replaces the tool's input when approving (an edited call). */
  input?: unknown;
}

export interface ApprovalRequest {
  session_id: string;
  run_id: string;
  tool: string;
  /** Kept for listing only, so pass it redacted. */
  input: unknown;
}

export interface PendingApproval extends ApprovalRequest {
  id: string;
  requested_at: string;
}

interface Entry {
  info: PendingApproval;
  decide(decision: ApprovalDecision): void;
}

/**
 * The approvals runs are waiting for, keyed by id. It only matches answers to waiters: the tool call
 * that asked owns the timeout and the cancel, and calls {@link ApprovalBook.settle} so nothing is left behind.
 *
 * @example
 * ```ts
 * const book = new ApprovalBook();
 * const { id, decision } = book.request({ session_id: 's1', run_id: 'r1', tool: 'send_mail', input });
 * book.resolve('s1', 'r1', id, { approve: true });
 * await decision; // { approve: true }
 * ```
 */
export class ApprovalBook {
  readonly #entries = new Map<string, Entry>();

  /** Opens a pending approval; `decision` settles once, when it is resolved or settled. It never rejects. */
  request(request: ApprovalRequest): { id: string; decision: Promise<ApprovalDecision> } {
    const id = newId();
    const decision = new Promise<ApprovalDecision>((decide) => {
      this.#entries.set(id, { info: { ...request, id, requested_at: nowIso() }, decide });
    });
    return { id, decision };
  }

  /**
   * Answers a pending approval of that session and run, and forgets it.
   * Throws `APPROVAL_NOT_FOUND` for an unknown id, one already answered or timed out, or one of another session or run.
   */
  resolve(session_id: string, run_id: string, approval_id: string, answer: ApprovalAnswer): PendingApproval {
    const entry = this.#entries.get(approval_id);
    // Another session's approval answers "not found" too, so ids cannot be probed across sessions.
    if (entry === undefined || entry.info.session_id !== session_id || entry.info.run_id !== run_id) {
      throw new TributaryError('APPROVAL_NOT_FOUND', `no pending approval ${approval_id} in run ${run_id}`, {
        field: 'approval_id',
      });
    }
    this.settle(
      approval_id,
      answer.approve
        ? answer.input === undefined
          ? { approve: true }
          : { approve: true, input: answer.input }
        : { approve: false, reason: 'rejected' },
    );
    return { ...entry.info };
  }

  /** Settles and forgets a pending approval; false when it was no longer pending. */
  settle(approval_id: string, decision: ApprovalDecision): boolean {
    const entry = this.#entries.get(approval_id);
    if (entry === undefined) return false;
    this.#entries.delete(approval_id);
    entry.decide(decision);
    return true;
  }

  /** The approvals still pending, of one run or of all runs, oldest first. */
  pending(run_id?: string): PendingApproval[] {
    const all = [...this.#entries.values()].map((entry) => ({ ...entry.info }));
    return run_id === undefined ? all : all.filter((info) => info.run_id === run_id);
  }

  get size(): number {
    return this.#entries.size;
  }
}
