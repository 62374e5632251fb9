import { html, type TemplateResult } from 'lit';

/**
 * The run's question as the first row of its timeline: what the user asked, above everything the
 * run did about it. Not an event (no `data-seq`): the question is on the run record.
 *
 * @example
 * ```ts
 * renderTimeline(toTimeline(runEvents), renderRunQuestion('Quiz me on RxJS operators', runId));
 * ```
 */
export function renderRunQuestion(question: string, runId: string): TemplateResult {
  return html`<li class="entry type-question" data-testid="run-question" data-run-id=${runId}>
    <div class="entry-line">
      <span class="kind">question</span>
      <strong class="role">user</strong>
    </div>
    <div class="content">${question}</div>
  </li>`;
}
