import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import {
  isFiltered,
  LEVELS,
  matchParts,
  NO_FILTER,
  type Level,
  type RunOption,
  type TimelineFilter,
  type TimelineView,
} from './timeline-filter.ts';

export interface TimelineFilterControls {
  readonly filter: TimelineFilter;
  readonly runs: readonly RunOption[];
  /** The types offered: those in the timeline and any the filter holds. */
  readonly types: readonly string[];
  readonly view: TimelineView;
  readonly change: (filter: TimelineFilter) => void;
}

const LEVEL_LABELS: Readonly<Record<Level, string>> = {
  debug: 'all levels',
  info: 'info and above',
  warn: 'warn and above',
  error: 'error only',
};

/**
 * The timeline's filter bar: a run select, a checkbox per event type (none checked: all), a lowest
 * level, a search box, a clear button and a count of what is shown. Every control has a label.
 */
export function renderTimelineFilter({
  filter,
  runs,
  types,
  view,
  change,
}: TimelineFilterControls): TemplateResult {
  const shown = view.rows.filter((row) => !row.folded).length;
  const folded = view.rows.length - shown;
  const toggleType = (type: string, checked: boolean): void =>
    change({
      ...filter,
      types: checked ? [...filter.types, type] : filter.types.filter((other) => other !== type),
    });
  return html`<form
    class="timeline-filter"
    aria-label="Timeline filter"
    @submit=${(event: Event) => event.preventDefault()}
  >
    <label
      >Run
      <select
        data-testid="timeline-run"
        @change=${(event: Event) => change({ ...filter, runId: (event.target as HTMLSelectElement).value || null })}
      >
        <option value="" ?selected=${filter.runId === null}>all runs</option>
        ${runs.map(
          (run) =>
            html`<option value=${run.runId} ?selected=${filter.runId === run.runId}>${run.label}</option>`,
        )}
      </select></label
    >
    <label
      >Level
      <select
        data-testid="timeline-level"
        @change=${(event: Event) =>
          change({ ...filter, minLevel: (event.target as HTMLSelectElement).value as Level })}
      >
        ${LEVELS.map(
          (level) =>
            html`<option value=${level} ?selected=${filter.minLevel === level}>
              ${LEVEL_LABELS[level]}
            </option>`,
        )}
      </select></label
    >
    <label class="timeline-search"
      >Search
      <input
        type="search"
        data-testid="timeline-search"
        placeholder="message, step, tool or type"
        .value=${live(filter.search)}
        @input=${(event: Event) => change({ ...filter, search: (event.target as HTMLInputElement).value })}
    /></label>
    <fieldset class="timeline-types">
      <legend>Event types <span class="muted">(none checked: all)</span></legend>
      ${types.map(
        (type) =>
          html`<label
            ><input
              type="checkbox"
              data-testid="timeline-type"
              value=${type}
              .checked=${live(filter.types.includes(type))}
              @change=${(event: Event) => toggleType(type, (event.target as HTMLInputElement).checked)}
            />${type}</label
          >`,
      )}
    </fieldset>
    <button
      type="button"
      data-testid="timeline-clear"
      ?disabled=${!isFiltered(filter)}
      @click=${() => change(NO_FILTER)}
    >
      Clear filters
    </button>
    <p class="timeline-count" role="status" data-testid="timeline-count">
      ${shown} of ${view.total} rows
      shown${folded > 0 ? html`, ${folded} progress folded` : nothing}${
        view.matches === null
          ? nothing
          : html`;
              <span data-testid="timeline-matches"
                >${view.matches} ${view.matches === 1 ? 'match' : 'matches'}</span
              >
              for “${filter.search.trim()}”`
      }
    </p>
  </form>`;
}

/**
 * `text` with every match of `search` (any case) in a `<mark>`; the text as it is without a search.
 *
 * @example
 * ```ts
 * html`<span>${highlight(event.message, 'rag')}</span>`;
 * ```
 */
export function highlight(text: string, search: string): TemplateResult | string {
  if (!search.trim()) return text;
  return html`${matchParts(text, search).map((part) => (part.match ? html`<mark>${part.text}</mark>` : part.text))}`;
}
