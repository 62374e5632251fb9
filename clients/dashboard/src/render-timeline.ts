import { html, nothing, type TemplateResult } from 'lit';
import { formatDuration, formatJson, formatTime } from './format.ts';
import { renderErrorMark } from './render-error-mark.ts';
import type { StreamedMessage } from './streamed-message.ts';
import type { TimelineEntry } from './timeline.ts';
import type { SessionEvent } from './types.ts';

/**
 * The session's events as an ordered list, one `<li data-seq>` per event: steps with their
 * durations, tool calls with input and result folded, messages, and errors in red. A streamed
 * message is one `<li data-message-id>` whose text grows, then says if it was cut short.
 */
export function renderTimeline(entries: readonly TimelineEntry[]): TemplateResult {
  if (entries.length === 0) return html`<p class="muted" data-testid="timeline-empty">No events yet.</p>`;
  return html`<ol class="timeline" data-testid="timeline">
    ${entries.map(renderEntry)}
  </ol>`;
}

function renderEntry(entry: TimelineEntry): TemplateResult {
  if (entry.streamed) return renderStreamed(entry, entry.streamed);
  const { event, durationMs, isError } = entry;
  const classes = ['entry', `type-${event.type.replace('.', '-')}`, isError ? 'error' : ''].join(' ');
  return html`<li
    class=${classes}
    data-testid="timeline-entry"
    data-seq=${event.seq}
    data-type=${event.type}
    data-step=${event.step ?? nothing}
    data-run-id=${event.run_id ?? nothing}
    data-session-id=${event.session_id}
  >
    <div class="entry-line">
      <span class="seq">#${event.seq}</span>
      ${isError ? renderErrorMark('error') : nothing}
      <time datetime=${event.ts}>${formatTime(event.ts)}</time>
      <span class="kind">${event.type}</span>
      ${headline(event)} ${stepDuration(event, durationMs)} ${toolDuration(event)} ${fold(event)}
    </div>
    ${event.type === 'message' && event.meta.exam == null ? html`<div class="content">${event.message}</div>` : nothing}
  </li>`;
}

/**
 * The row of a streamed message: the same `<li>` (it stays at its place in the list, so Lit keeps
 * the element) while the pieces come and after the closing message replaced them.
 */
function renderStreamed({ event, isError }: TimelineEntry, streamed: StreamedMessage): TemplateResult {
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
    <div class="content" data-testid="message-text">${streamed.text}</div>
    ${
      streamed.stopped
        ? html`<p class="stopped" data-testid="message-stopped">(stopped: ${streamed.stopped})</p>`
        : nothing
    }
  </li>`;
}

function headline(event: SessionEvent): TemplateResult | typeof nothing {
  if (event.type === 'step')
    return html`<strong class="step">${event.step}</strong> <span class="message">${event.message}</span>`;
  if (event.type === 'message')
    return html`<strong class="role">${String(event.meta.role ?? 'message')}</strong>`;
  const tool = event.tool ? html`<strong class="tool">${event.tool}</strong> ` : nothing;
  return html`${tool}<span class="message">${event.message}</span>`;
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
