import { html, LitElement, nothing, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
// The page's CSP has no 'unsafe-inline' for styles: styleMap sets positions through the CSSOM, which it allows.
import { styleMap } from 'lit/directives/style-map.js';
import { formatDuration } from './format.ts';
import type { SessionEvent } from './types.ts';
import { toWaterfall, type BarOutcome, type Waterfall, type WaterfallBar } from './waterfall.ts';

/** How often a live waterfall redraws, so its open bars grow between events. */
const LIVE_TICK_MS = 250;
const TICKS = [0, 0.25, 0.5, 0.75, 1];

/**
 * The waterfall of one run (see {@link toWaterfall}): one row per bar on a shared time axis, each
 * bar a button coloured by outcome and labelled with it in words. Hovering, focusing or clicking a
 * bar shows its details below the chart (a click keeps them there). While the run goes on the
 * element redraws itself, so the axis and the open bars grow until the run's last event arrives.
 * Light DOM, like the page, so styles.css reaches it.
 *
 * @example
 * ```ts
 * html`<tributary-waterfall .events=${events} .runId=${runId} .traceUrl=${jaegerUrl}></tributary-waterfall>`;
 * ```
 */
export class TributaryWaterfall extends LitElement {
  #events: readonly SessionEvent[] = [];
  #runId = '';
  #traceUrl: string | null = null;
  /** The bar whose details are shown: the last one hovered or focused, or the one clicked. */
  #shown: string | null = null;
  #pinned: string | null = null;
  #timer: number | undefined;
  #live = false;

  get events(): readonly SessionEvent[] {
    return this.#events;
  }

  set events(events: readonly SessionEvent[]) {
    this.#events = events;
    this.requestUpdate();
  }

  get runId(): string {
    return this.#runId;
  }

  set runId(runId: string) {
    if (runId !== this.#runId) this.#shown = this.#pinned = null;
    this.#runId = runId;
    this.requestUpdate();
  }

  /** The run's trace in Jaeger, when the page knows where Jaeger is. */
  set traceUrl(url: string | null) {
    this.#traceUrl = url;
    this.requestUpdate();
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopTicking();
  }

  protected override render(): TemplateResult {
    const chart = toWaterfall(this.#events, this.#runId, Date.now());
    this.#live = chart.live;
    const shown = chart.bars.find((bar) => bar.id === (this.#pinned ?? this.#shown));
    return html`<figure
      class="waterfall"
      data-testid="waterfall"
      data-live=${String(chart.live)}
      data-total-ms=${chart.totalMs}
    >
      <figcaption>
        <span data-testid="waterfall-total"
          >${chart.live ? 'so far' : 'total'}
          ${formatDuration(chart.totalMs)}${chart.live ? ' (running)' : ''}</span
        >
        ${
          this.#traceUrl
            ? html`<a
                data-testid="waterfall-trace-link"
                href=${this.#traceUrl}
                target="_blank"
                rel="noopener noreferrer"
                >Open the trace in Jaeger</a
              >`
            : nothing
        }
      </figcaption>
      ${chart.bars.length === 0 ? html`<p class="muted">No steps yet.</p>` : this.#renderChart(chart)}
      <div class="wf-details" data-testid="waterfall-details" aria-live="polite">
        ${shown ? renderDetails(shown) : html`<span class="muted">Hover, focus or click a bar for its details.</span>`}
      </div>
    </figure>`;
  }

  protected override updated(): void {
    // Ticks only while something can still grow.
    if (this.#live && this.#timer === undefined)
      this.#timer = window.setInterval(() => this.requestUpdate(), LIVE_TICK_MS);
    if (!this.#live) this.#stopTicking();
  }

  #renderChart(chart: Waterfall): TemplateResult {
    const percent = (ms: number) => (chart.totalMs === 0 ? 0 : (ms / chart.totalMs) * 100);
    return html`<div class="wf-axis" aria-hidden="true">
        <span></span>
        <span class="wf-axis-track"
          >${TICKS.map(
            (tick) =>
              html`<span
                class="wf-tick ${tick === 0.25 || tick === 0.75 ? 'wf-tick-minor' : ''}"
                style=${styleMap({ left: `${tick * 100}%` })}
                >${formatDuration(tick * chart.totalMs)}</span
              >`,
          )}</span
        >
      </div>
      <ol class="wf-rows" aria-label="Steps, tool calls and waits of the run, in start order">
        ${repeat(
          chart.bars,
          (bar) => bar.id,
          (bar) =>
            html`<li class="wf-row kind-${bar.kind}">
              <span class="wf-label">
                <span class="wf-kind">${bar.kind}</span>
                <span class="wf-name">${bar.name}${bar.attempt ? ` #${bar.attempt}` : ''}</span>
                <span class="wf-outcome outcome-${bar.outcome}"
                  >${outcomeIcon(bar.outcome)} ${outcomeText(bar)}</span
                >
              </span>
              <span class="wf-track">
                <button
                  type="button"
                  class="wf-bar outcome-${bar.outcome} kind-${bar.kind}"
                  data-testid="waterfall-bar"
                  data-bar-id=${bar.id}
                  data-kind=${bar.kind}
                  data-name=${bar.name}
                  data-outcome=${bar.outcome}
                  data-attempt=${bar.attempt ?? nothing}
                  data-start-ms=${bar.startMs}
                  data-duration-ms=${bar.durationMs}
                  aria-label=${describe(bar)}
                  aria-pressed=${this.#pinned === bar.id ? 'true' : 'false'}
                  style=${styleMap({ left: `${percent(bar.startMs)}%`, width: `${percent(bar.durationMs)}%` })}
                  @mouseenter=${() => this.#show(bar.id)}
                  @focus=${() => this.#show(bar.id)}
                  @click=${() => this.#pin(bar.id)}
                ></button>
              </span>
            </li>`,
        )}
      </ol>`;
  }

  #show(barId: string): void {
    this.#shown = barId;
    this.requestUpdate();
  }

  /** A click keeps a bar's details shown; a second click on it lets hovering choose again. */
  #pin(barId: string): void {
    this.#pinned = this.#pinned === barId ? null : barId;
    this.#shown = barId;
    this.requestUpdate();
  }

  #stopTicking(): void {
    window.clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function renderDetails(bar: WaterfallBar): TemplateResult {
  return html`<dl class="wf-facts" data-testid="waterfall-bar-details" data-bar-id=${bar.id}>
    <dt>${bar.kind}</dt>
    <dd><strong>${bar.name}</strong></dd>
    <dt>Outcome</dt>
    <dd>${outcomeIcon(bar.outcome)} ${outcomeText(bar)}</dd>
    <dt>Starts at</dt>
    <dd>+${formatDuration(bar.startMs)}</dd>
    <dt>Duration</dt>
    <dd>
      ${formatDuration(bar.durationMs)}${bar.outcome === 'running' || bar.outcome === 'waiting' ? ' so far' : ''}
    </dd>
    ${
      bar.attempt
        ? html`<dt>Attempt</dt>
            <dd>${bar.attempt}</dd>`
        : nothing
    }
    ${
      bar.error
        ? html`<dt>Error</dt>
            <dd><code>${bar.error.code}</code> ${bar.error.message}</dd>`
        : nothing
    }
  </dl>`;
}

/** The bar in one sentence for screen readers: what it is, how it ended, when and for how long. */
function describe(bar: WaterfallBar): string {
  const attempt = bar.attempt ? `, attempt ${bar.attempt}` : '';
  return `${bar.kind} ${bar.name}${attempt}: ${outcomeText(bar)}, from +${formatDuration(bar.startMs)} for ${formatDuration(bar.durationMs)}`;
}

function outcomeText(bar: WaterfallBar): string {
  return bar.retried ? 'failed, retried' : bar.outcome;
}

/** A shape per outcome, so the state reads without colour too. */
function outcomeIcon(outcome: BarOutcome): TemplateResult {
  const icons: Record<BarOutcome, string> = {
    ok: '✓',
    failed: '✕',
    cancelled: '⊘',
    waiting: '◷',
    running: '▶',
  };
  return html`<span class="icon" aria-hidden="true">${icons[outcome]}</span>`;
}

// Defined here rather than in main.ts: whoever renders the tag imports this module, so it is always registered.
if (!customElements.get('tributary-waterfall'))
  customElements.define('tributary-waterfall', TributaryWaterfall);
