import { html, nothing, type TemplateResult } from 'lit';
// Keyed by run: a new run on top does not move the focus to another run's link.
import { repeat } from 'lit/directives/repeat.js';
import { formatDuration, formatTime } from './format.ts';
import { moveListFocus } from './list-focus.ts';
import type { RunRow, RunState } from './run-list.ts';

/** A shape per state, so a failed or cancelled run reads without colour too. */
const ICONS: Record<RunState, string> = {
  queued: '◷',
  running: '▶',
  'awaiting approval': '‖',
  completed: '✓',
  failed: '✕',
  cancelled: '⊘',
  interrupted: '↯',
};

/** The hash of a run's own view: a reload comes back to it. */
export const runHash = (sessionId: string, runId: string): string => `#/sessions/${sessionId}/runs/${runId}`;

/**
 * A run's state as an icon and its name, e.g. `✕ failed`; the class colours it.
 *
 * @example
 * ```ts
 * html`<dd>${renderRunState('cancelled')}</dd>`;
 * ```
 */
export function renderRunState(state: RunState): TemplateResult {
  return html`<span
    class="run-state state-${state.replace(' ', '-')}"
    data-testid="run-state"
    data-state=${state}
    ><span class="icon" aria-hidden="true">${ICONS[state]}</span> ${state}</span
  >`;
}

/**
 * Every run of the session, newest first, each a link to its own view (`#/sessions/<id>/runs/<run>`):
 * state, flow, start, duration, queue wait and tokens. The selected run is `aria-current`.
 *
 * @example
 * ```ts
 * renderRunList(runRows(records, events), sessionId, selectedRunId);
 * ```
 */
export function renderRunList(
  rows: readonly RunRow[],
  sessionId: string,
  selectedRunId: string | null,
): TemplateResult {
  if (rows.length === 0) return html`<p class="muted" data-testid="no-runs">No runs yet.</p>`;
  // Keyboard: one Tab stop (the selected run, else the newest); arrow keys, Home and End move within.
  const tabStop = rows.some((row) => row.runId === selectedRunId) ? selectedRunId : rows[0]!.runId;
  return html`<ol
    class="run-list"
    data-testid="run-list"
    aria-label="Runs, newest first"
    @keydown=${moveListFocus}
  >
    ${repeat(
      rows,
      (row) => row.runId,
      (row) =>
        html`<li>
          <a
            class="run-item state-${row.state.replace(' ', '-')}"
            href=${runHash(sessionId, row.runId)}
            data-testid="run-item"
            data-run-id=${row.runId}
            data-state=${row.state}
            aria-current=${row.runId === selectedRunId ? 'page' : 'false'}
            tabindex=${row.runId === tabStop ? '0' : '-1'}
          >
            ${renderRunState(row.state)}
            <span class="run-flow">${row.flow ?? 'run'}</span>
            <code class="run-id">${row.runId.slice(-8)}</code>
            <span class="run-facts">
              <span>started ${row.startedAt ? formatTime(row.startedAt) : 'not yet'}</span>
              ${row.durationMs === null ? nothing : html`<span>took ${formatDuration(row.durationMs)}</span>`}
              ${row.queueWaitMs === null ? nothing : html`<span>waited ${formatDuration(row.queueWaitMs)}</span>`}
              ${row.usage ? html`<span>${row.usage.tokensIn} + ${row.usage.tokensOut} tokens</span>` : nothing}
            </span>
          </a>
        </li>`,
    )}
  </ol>`;
}
