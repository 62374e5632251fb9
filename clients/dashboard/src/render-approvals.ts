import { html, nothing, type TemplateResult } from 'lit';
import { formatJson } from './format.ts';
import type { PendingApproval } from './run-status.ts';

export type Decide = (approval: PendingApproval, approve: boolean) => void;

/** Tool calls waiting for a person, each with Approve and Reject buttons. */
export function renderApprovals(
  approvals: readonly PendingApproval[],
  decide: Decide,
): TemplateResult | typeof nothing {
  if (approvals.length === 0) return nothing;
  return html`<section class="approvals" aria-label="Approvals">
    ${approvals.map(
      (approval) =>
        html`<div class="approval" data-testid="approval" data-approval-id=${approval.approvalId}>
          <p><strong>${approval.tool}</strong> waits for approval</p>
          <details>
            <summary>input</summary>
            <pre>${formatJson(approval.input)}</pre>
          </details>
          <button type="button" data-testid="approve" @click=${() => decide(approval, true)}>Approve</button>
          <button type="button" class="danger" data-testid="reject" @click=${() => decide(approval, false)}>
            Reject
          </button>
        </div>`,
    )}
  </section>`;
}
