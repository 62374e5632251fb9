import type { SessionEvent } from '../../core/events/event.ts';
import type { Colors } from './colors.ts';

export interface RenderEventOptions {
  /** Lead with `#seq` and the time (the `events` listing); a followed run leaves them out. */
  withSeq?: boolean;
}

/** The first line of a message, with how many more there are. */
export function firstLine(text: string): string {
  const lines = text.split('\n');
  const more = lines.length - 1;
  return more > 0 ? `${lines[0]} … (+${more} line${more === 1 ? '' : 's'})` : (lines[0] ?? '');
}

/** The columns before an event's message, padded: its type and what it is about. */
export function eventColumns(type: string, about: string): string {
  return `${type.padEnd(18)} ${about.padEnd(20)} `;
}

/** What the event is about: the step, the tool, or the role of a message (or of a piece of one). */
function subject(event: SessionEvent): string {
  if (event.type === 'message' || event.type === 'message.delta')
    return typeof event.meta.role === 'string' ? event.meta.role : '';
  return event.tool ?? event.step ?? '';
}

/**
 * One plain line for an event: its type, what it is about (step, tool or message role) and its message;
 * red for `error`, yellow for `warn`, dim for `debug`.
 *
 * @example
 * ```ts
 * renderEvent(event, colors, { withSeq: true });
 * // '#12 10:00:01.204 tool.completed  rag_search          rag_search done in 41 ms'
 * ```
 */
export function renderEvent(event: SessionEvent, colors: Colors, options: RenderEventOptions = {}): string {
  const about = subject(event);
  // The step's name is its message when the flow gave none: do not say it twice.
  const message = event.message === about ? '' : firstLine(event.message);
  const head = options.withSeq ? `${colors.dim(`#${event.seq} ${event.ts.slice(11, 23)}`)} ` : '';
  const line = `${eventColumns(event.type, about)}${message}`.trimEnd();
  const paint =
    event.level === 'error'
      ? colors.red
      : event.level === 'warn'
        ? colors.yellow
        : event.level === 'debug'
          ? colors.dim
          : (text: string) => text;
  return `${head}${paint(line)}`;
}
