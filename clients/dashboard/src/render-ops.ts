import { html, nothing, svg, type TemplateResult } from 'lit';
import { formatDuration } from './format.ts';
import { clockMinute, FINISHED_STATUSES, minuteChart, scopeLabel, type Stats } from './ops-view.ts';

const CHART_WIDTH = 450;
const CHART_HEIGHT = 120;
const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;

/** What the operations view shows: the last stats read, when, and why the last read failed. */
export interface OpsState {
  stats: Stats | null;
  updatedAt: Date | null;
  error: string;
}

/**
 * The operations view: live figures (running and queued runs, queue depth, sessions, tokens), runs by
 * status, and the runs finished per minute over `stats.recent` as a stacked bar chart (inline SVG)
 * with the p50 and p99 run duration. Every number is also text: the chart's bars carry their counts
 * in a `<title>` and in `data-finished`.
 *
 * @example
 * ```ts
 * html`<main>${renderOps({ stats, updatedAt: new Date(), error: '' })}</main>`;
 * ```
 */
export function renderOps({ stats, updatedAt, error }: OpsState): TemplateResult {
  return html`<section class="ops" aria-labelledby="ops-title" data-testid="ops">
    <h2 id="ops-title">Operations</h2>
    <p class="ops-meta">
      ${stats ? html`<span data-testid="ops-scope">${scopeLabel(stats.scope)}</span>` : nothing}
      <span class="muted" role="status" data-testid="ops-updated"
        >${updatedAt ? `updated ${updatedAt.toLocaleTimeString()}` : 'loading…'}</span
      >
    </p>
    ${error ? html`<p class="notice error" role="alert" data-testid="ops-error">${error}</p>` : nothing}
    ${stats ? renderFigures(stats) : nothing}
  </section>`;
}

function renderFigures(stats: Stats): TemplateResult {
  const figure = (label: string, testId: string, value: number | string) =>
    html`<div class="ops-figure">
      <dt>${label}</dt>
      <dd data-testid=${testId}>${value}</dd>
    </div>`;
  return html`<dl class="ops-figures">
      ${figure('Running runs', 'ops-running', stats.running_runs)}
      ${figure('Queued runs', 'ops-queued', stats.runs_by_status.queued)}
      ${figure('Queue depth', 'ops-queue-depth', stats.queue_depth)}
      ${figure('Active sessions', 'ops-active-sessions', stats.active_sessions)}
      ${figure('Idle sessions', 'ops-idle-sessions', stats.idle_sessions)}
      ${figure('All sessions', 'ops-total-sessions', stats.total_sessions)}
      ${figure('Tokens in / out', 'ops-tokens', `${stats.usage.tokens_in} / ${stats.usage.tokens_out}`)}
    </dl>
    <div class="ops-panels">
      <section aria-labelledby="ops-by-status">
        <h3 id="ops-by-status">Runs by status</h3>
        <table class="ops-status-table">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Runs</th>
            </tr>
          </thead>
          <tbody>
            ${RUN_STATUSES.map(
              (status) =>
                html`<tr>
                  <th scope="row"><span class="status-${status}">${status}</span></th>
                  <td data-testid="ops-status-${status}">${stats.runs_by_status[status]}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>
      ${renderRecent(stats.recent)}
    </div>`;
}

function renderRecent(recent: Stats['recent']): TemplateResult {
  const chart = minuteChart(recent, CHART_WIDTH, CHART_HEIGHT);
  const minutes = Math.round(recent.window_s / 60);
  const first = chart.bars[0];
  const last = chart.bars.at(-1);
  const { p50, p99 } = recent.duration_ms;
  const duration = (ms: number | null) => (ms === null ? '—' : formatDuration(ms));
  return html`<section aria-labelledby="ops-recent">
    <h3 id="ops-recent">Runs finished per minute, last ${minutes} minutes</h3>
    <figure class="ops-chart">
      <svg
        viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}"
        preserveAspectRatio="none"
        role="img"
        aria-label="${chart.total} runs finished in the last ${minutes} minutes; the busiest minute had ${chart.max === 1 && chart.total === 0 ? 0 : chart.max}"
        data-testid="ops-chart"
      >
        <defs>
          <!-- A texture per outcome besides its colour: failed is hatched, cancelled dotted. -->
          <pattern
            id="ops-pattern-failed"
            width="6"
            height="6"
            patternUnits="userSpaceOnUse"
            patternTransform="rotate(45)"
          >
            <rect width="6" height="6" class="ops-pattern-failed-ground"></rect>
            <line x1="0" y1="0" x2="0" y2="6" class="ops-pattern-failed-line"></line>
          </pattern>
          <pattern id="ops-pattern-cancelled" width="5" height="5" patternUnits="userSpaceOnUse">
            <rect width="5" height="5" class="ops-pattern-cancelled-ground"></rect>
            <circle cx="2.5" cy="2.5" r="1.1" class="ops-pattern-cancelled-dot"></circle>
          </pattern>
        </defs>
        ${chart.bars.map(
          (bar) =>
            svg`<g class="ops-bar" data-testid="ops-minute" data-minute=${bar.minute} data-finished=${bar.finished}>
              <title>${bar.label}</title>
              <rect class="ops-slot" x=${bar.x} y="0" width=${bar.width} height=${CHART_HEIGHT}></rect>
              ${bar.segments.map(
                (s) =>
                  svg`<rect class="ops-seg ops-seg-${s.status}" x=${bar.x} y=${s.y} width=${bar.width} height=${s.height}></rect>`,
              )}
            </g>`,
        )}
      </svg>
      <div class="ops-axis" aria-hidden="true">
        <span>${first ? clockMinute(first.minute) : ''}</span>
        <span>peak ${chart.total === 0 ? 0 : chart.max}/min</span>
        <span>${last ? clockMinute(last.minute) : ''}</span>
      </div>
      <figcaption>
        <ul class="ops-legend">
          ${FINISHED_STATUSES.map(
            (status) =>
              html`<li><span class="ops-swatch ops-seg-${status}" aria-hidden="true"></span>${status}</li>`,
          )}
        </ul>
        <span data-testid="ops-recent-total">${chart.total}</span> finished ·
        <span>p50 <strong data-testid="ops-p50">${duration(p50)}</strong></span> ·
        <span>p99 <strong data-testid="ops-p99">${duration(p99)}</strong></span>
      </figcaption>
    </figure>
  </section>`;
}
