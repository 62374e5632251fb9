import { html, type TemplateResult } from 'lit';
import { renderTimeline } from './render-timeline.ts';
import { renderTimelineFilter } from './render-timeline-filter.ts';
import { toTimeline } from './timeline.ts';
import { NO_FILTER, runOptions, typesPresent, viewTimeline, type TimelineFilter } from './timeline-filter.ts';
import { loadTimelineFilter, saveTimelineFilter, type FilterStorage } from './timeline-filter-store.ts';
import type { SessionEvent } from './types.ts';

/**
 * The selected session's timeline with its filter bar. It keeps the filter of each session in
 * localStorage (so a reload shows the same rows) and which tool calls have their progress unfolded
 * (for this page only); every render filters the events as they are now, so new ones are filtered live.
 *
 * @example
 * ```ts
 * readonly #timeline = new FilteredTimeline(() => this.requestUpdate());
 * // in render():
 * html`<h3>Timeline</h3>${this.#timeline.render(sessionId, this.#feed.events(sessionId))}`;
 * ```
 */
export class FilteredTimeline {
  #sessionId: string | null = null;
  #filter: TimelineFilter = NO_FILTER;
  #unfolded = new Set<number>();
  readonly #changed: () => void;
  readonly #storage: FilterStorage | null;

  /** `changed` is called after every change of the filter or a fold: the page renders again. */
  constructor(changed: () => void, storage: FilterStorage | null = browserStorage()) {
    this.#changed = changed;
    this.#storage = storage;
  }

  /** `lead`: a first row above the events (runs of a session: the run's question). */
  render(sessionId: string, events: readonly SessionEvent[], lead?: TemplateResult): TemplateResult {
    if (sessionId !== this.#sessionId) {
      this.#sessionId = sessionId;
      this.#filter = this.#storage ? loadTimelineFilter(this.#storage, sessionId) : NO_FILTER;
      this.#unfolded = new Set();
    }
    const entries = toTimeline(events);
    const view = viewTimeline(entries, this.#filter, this.#unfolded);
    const types = [...new Set([...typesPresent(entries), ...this.#filter.types])];
    return html`${renderTimelineFilter({
      filter: this.#filter,
      runs: runOptions(events, this.#filter.runId),
      types,
      view,
      change: (filter) => this.#change(filter),
    })}
    ${renderTimeline(
      entries,
      {
        view,
        search: this.#filter.search,
        toggleProgress: (callSeq) => this.#toggle(callSeq),
      },
      lead,
    )}`;
  }

  #change(filter: TimelineFilter): void {
    this.#filter = filter;
    if (this.#storage && this.#sessionId) saveTimelineFilter(this.#storage, this.#sessionId, filter);
    this.#changed();
  }

  #toggle(callSeq: number): void {
    if (!this.#unfolded.delete(callSeq)) this.#unfolded.add(callSeq);
    this.#changed();
  }
}

/** localStorage, or null where reading it throws (storage blocked by the browser's settings). */
function browserStorage(): FilterStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
