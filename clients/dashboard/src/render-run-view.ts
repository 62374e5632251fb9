import { html, nothing, type TemplateResult } from 'lit';
import { formatDuration, formatTime } from './format.ts';
import type { RunRow } from './run-list.ts';
import { renderRunState } from './render-run-list.ts';
import './tributary-waterfall.ts';
import type { SessionEvent } from './types.ts';

export interface RunViewOptions {
  readonly sessionId: string;
  /** The session's events; the waterfall keeps the run's own. */
  readonly events: readonly SessionEvent[];
  /** The session's trace in Jaeger, or null when the page has no Jaeger URL or no trace id. */
  readonly traceUrl: string | null;
  readonly cancel: () => void;
}

/**
 * One run's own view: its state, flow, question, timings, tokens and error, a Cancel button while it
 * can be cancelled (queued or running), and its waterfall. `row` is undefined while the run is not
 * known yet (a reload before its events arrived).
 *
 * @example
 * ```ts
 * renderRunView(rows.find((row) => row.runId === runId), runId, { sessionId, events, traceUrl, cancel });
 * ```
 */
export function renderRunView(
  row: RunRow | undefined,
  runId: string,
  options: RunViewOptions,
): TemplateResult {
  return html`<section
    class="run-view"
    data-testid="run-view"
    data-run-id=${runId}
    aria-labelledby="run-view-title"
  >
    <h3 id="run-view-title">
      Run <code>${runId}</code>
      <a class="back" href="#/sessions/${options.sessionId}" data-testid="back-to-session"
        >All of the session</a
      >
    </h3>
    ${row ? renderFacts(row, options) : html`<p class="muted">Loading the run…</p>`}
    <h4>Where the time went</h4>
    <tributary-waterfall
      .events=${options.events}
      .runId=${runId}
      .traceUrl=${options.traceUrl}
    ></tributary-waterfall>
  </section>`;
}

function renderFacts(row: RunRow, { cancel }: RunViewOptions): TemplateResult {
  return html`<dl class="facts run-facts-list">
    <dt>Status</dt>
    <dd>
      ${renderRunState(row.state)}
      ${
        row.cancellable
          ? html`<button type="button" class="danger" data-testid="run-cancel" @click=${cancel}>
              Cancel run
            </button>`
          : nothing
      }
    </dd>
    <dt>Flow</dt>
    <dd>${row.flow ?? '…'}</dd>
    <dt>Started</dt>
    <dd>${row.startedAt ? formatTime(row.startedAt) : 'not yet'}</dd>
    <dt>Duration</dt>
    <dd>
      ${row.durationMs === null ? (row.cancellable ? 'running…' : '…') : formatDuration(row.durationMs)}
    </dd>
    <dt>Queue wait</dt>
    <dd>${row.queueWaitMs === null ? '…' : formatDuration(row.queueWaitMs)}</dd>
    <dt>Tokens</dt>
    <dd>${row.usage ? `${row.usage.tokensIn} in, ${row.usage.tokensOut} out` : '…'}</dd>
    ${
      row.error
        ? html`<dt>Error</dt>
            <dd class="run-error" data-testid="run-error">
              <code>${row.error.code}</code> ${row.error.message}
            </dd>`
        : nothing
    }
  </dl>`;
}
