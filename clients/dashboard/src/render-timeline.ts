import { html, nothing, type TemplateResult } from 'lit';
import { formatDuration, formatJson, formatTime } from './format.ts';
import { renderErrorMark, renderWarnMark } from './render-error-mark.ts';
import { highlight } from './render-timeline-filter.ts';
import type { StreamedMessage } from './streamed-message.ts';
import type { TimelineEntry } from './timeline.ts';
import type { TimelineRow, TimelineView } from './timeline-filter.ts';
import type { SessionEvent } from './types.ts';

/** Timeline filter: the filtered rows, the search to mark in them and the fold control of a tool call. */
export interface TimelineShown {
  readonly view: TimelineView;
  readonly search: string;
  readonly toggleProgress: (callSeq: number) => void;
}

/**
 * The session's events as an ordered list, one `<li data-seq>` per event: steps with their
 * durations, tool calls with input and result folded, messages, and errors in red. A streamed
 * message is one `<li data-message-id>` whose text grows, then says if it was cut short. With
 * `shown`, only the filter's rows, its search marked; a tool call's progress rows stay in the list
 * `hidden` while folded, so unfolding keeps every element where it was. `lead` (runs of a session:
 * the run's question) is the list's first row, whatever the filter shows after it.
 */
export function renderTimeline(
  entries: readonly TimelineEntry[],
  shown?: TimelineShown,
  lead?: TemplateResult,
): TemplateResult {
  const leadRow = lead
    ? html`<ol class="timeline">
        ${lead}
      </ol>`
    : nothing;
  if (entries.length === 0)
    return html`${leadRow}
      <p class="muted" data-testid="timeline-empty">No events yet.</p>`;
  if (shown?.view.rows.length === 0)
    return html`${leadRow}
      <p class="muted" data-testid="timeline-none">No rows match the filter.</p>`;
  const rows =
    shown?.view.rows ?? entries.map((entry) => ({ entry, folded: false, callSeq: null, progress: null }));
  return html`<ol class="timeline" data-testid="timeline">
    ${lead ?? nothing} ${rows.map((row) => renderEntry(row, shown))}
  </ol>`;
}

function renderEntry(row: TimelineRow, shown: TimelineShown | undefined): TemplateResult {
  const { entry } = row;
  if (entry.streamed) return renderStreamed(entry, entry.streamed, shown?.search ?? '');
  const { event, durationMs, isError } = entry;
  const mark = (text: string) => highlight(text, shown?.search ?? '');
  const classes = [
    'entry',
    `type-${event.type.replace('.', '-')}`,
    isError ? 'error' : '',
    row.callSeq === null ? '' : 'in-call',
  ].join(' ');
  return html`<li
    ?hidden=${row.folded}
    data-call-seq=${row.callSeq ?? nothing}
    class=${classes}
    data-testid="timeline-entry"
    data-seq=${event.seq}
    data-type=${event.type}
    data-step=${event.step ?? nothing}
    data-run-id=${event.run_id ?? nothing}
    data-session-id=${event.session_id}
    data-level=${event.level}
  >
    <div class="entry-line">
      <span class="seq">#${event.seq}</span>
      ${isError ? renderErrorMark('error') : event.level === 'warn' ? renderWarnMark() : nothing}
      <time datetime=${event.ts}>${formatTime(event.ts)}</time>
      <span class="kind">${mark(event.type)}</span>
      ${headline(event, mark)} ${stepDuration(event, durationMs)} ${toolDuration(event)}
      ${row.progress && row.progress.count > 0 && shown ? progressToggle(event.seq, row.progress, shown) : nothing}
      ${fold(event)}
    </div>
    ${event.type === 'message' && event.meta.exam == null ? html`<div class="content">${mark(event.message)}</div>` : nothing}
  </li>`;
}

/** Timeline filter: the `N progress` button of a tool call, folding or unfolding its progress rows. */
function progressToggle(
  seq: number,
  { count, unfolded }: { count: number; unfolded: boolean },
  shown: TimelineShown,
): TemplateResult {
  return html`<button
    type="button"
    class="progress-toggle"
    data-testid="progress-toggle"
    aria-expanded=${unfolded ? 'true' : 'false'}
    title=${unfolded ? 'fold the progress of this call' : 'show the progress of this call'}
    @click=${() => shown.toggleProgress(seq)}
  >
    ${unfolded ? '▾' : '▸'} ${count} progress
  </button>`;
}

/**
 * The row of a streamed message: the same `<li>` (it stays at its place in the list, so Lit keeps
 * the element) while the pieces come and after the closing message replaced them.
 */
function renderStreamed(
  { event, isError }: TimelineEntry,
  streamed: StreamedMessage,
  search: string,
): TemplateResult {
  const state = !streamed.closed ? 'streaming' : streamed.stopped ? 'incomplete' : 'done';
  const classes = ['entry', 'type-message', state, isError ? 'error' : ''].join(' ');
  return html`<li
    class=${classes}
    data-testid="timeline-entry"
    data-seq=${event.seq}
    data-type=${event.type}
    data-message-id=${streamed.messageId}
    data-state=${state}
    data-run-id=${event.run_id ?? nothing}
    data-session-id=${event.session_id}
  >
    <div class="entry-line">
      <span class="seq">#${event.seq}</span>
      ${isError ? renderErrorMark('error') : nothing}
      <time datetime=${event.ts}>${formatTime(event.ts)}</time>
      <span class="kind">message</span>
      <strong class="role">${String(event.meta.role ?? 'assistant')}</strong>
      ${state === 'streaming' ? html`<span class="writing">writing…</span>` : nothing}
    </div>
    <div class="content" data-testid="message-text">${highlight(streamed.text, search)}</div>
    ${
      streamed.stopped
        ? html`<p class="stopped" data-testid="message-stopped">(stopped: ${streamed.stopped})</p>`
        : nothing
    }
  </li>`;
}

function headline(
  event: SessionEvent,
  mark: (text: string) => TemplateResult | string,
): TemplateResult | typeof nothing {
  if (event.type === 'step')
    return html`<strong class="step">${mark(event.step ?? '')}</strong>
      <span class="message">${mark(event.message)}</span>`;
  if (event.type === 'message')
    return html`<strong class="role">${String(event.meta.role ?? 'message')}</strong>`;
  const tool = event.tool ? html`<strong class="tool">${mark(event.tool)}</strong> ` : nothing;
  return html`${tool}<span class="message">${mark(event.message)}</span>`;
}

function stepDuration(event: SessionEvent, durationMs: number | null): TemplateResult | typeof nothing {
  if (event.type !== 'step') return nothing;
  // No next step and no end of run yet: this is the step the run is in.
  if (durationMs === null) return html`<span class="duration running">running…</span>`;
  return html`<span class="duration" title="until the next step">${formatDuration(durationMs)}</span>`;
}

function toolDuration(event: SessionEvent): TemplateResult | typeof nothing {
  const ms = event.meta.duration_ms;
  if (typeof ms !== 'number' || !event.type.startsWith('tool.')) return nothing;
  return html`<span class="duration" title="tool call">${formatDuration(ms)}</span>`;
}

/** What an event carries beyond its line, folded at the end of the line: a tool's input or result, the meta. */
function fold(event: SessionEvent): TemplateResult | typeof nothing {
  // The quiz itself is laid out above the timeline; here its text only takes room.
  if (event.type === 'message')
    return event.meta.exam == null ? nothing : folded('quiz as text', event.message);
  if (event.type === 'tool.started') return folded('input', event.meta.input);
  if (event.type === 'tool.completed') return folded('result', event.meta.output);
  return Object.keys(event.meta).length > 0 ? folded('details', event.meta) : nothing;
}

function folded(label: string, value: unknown): TemplateResult {
  return html`<details>
    <summary>${label}</summary>
    <pre>${typeof value === 'string' ? value : formatJson(value)}</pre>
  </details>`;
}
