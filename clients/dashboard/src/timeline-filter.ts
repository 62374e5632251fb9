import type { TimelineEntry } from './timeline.ts';
import type { SessionEvent } from './types.ts';

/** The event levels, least severe first: the level filter shows a level and the ones after it. */
export const LEVELS = ['debug', 'info', 'warn', 'error'] as const satisfies readonly SessionEvent['level'][];
export type Level = (typeof LEVELS)[number];

/** What the timeline shows: one run or all, some event types or all, a lowest level, a search. */
export interface TimelineFilter {
  /** One run's rows only (and its webhook deliveries); null: every run and the session's own events. */
  readonly runId: string | null;
  /** Only rows of these types; empty: every type. */
  readonly types: readonly string[];
  /** Rows at this level or more severe. */
  readonly minLevel: Level;
  /** Rows whose message, step, tool or type holds this text, any case; blank: no search. */
  readonly search: string;
}

export const NO_FILTER: TimelineFilter = { runId: null, types: [], minLevel: 'debug', search: '' };

/** One shown row of the filtered timeline. */
export interface TimelineRow {
  readonly entry: TimelineEntry;
  /** A `tool.progress` row folded into its tool call: kept in the list, but hidden. */
  readonly folded: boolean;
  /** For a `tool.progress` row: the `seq` of its tool call's `tool.started`, when that is known. */
  readonly callSeq: number | null;
  /**
   * For a `tool.started` row: its call's progress rows that pass the filter, and whether they are
   * unfolded; null for other rows, and during a search (which folds nothing).
   */
  readonly progress: { readonly count: number; readonly unfolded: boolean } | null;
}

export interface TimelineView {
  /** The rows that pass the filter, in seq order (folded ones included, marked `folded`). */
  readonly rows: readonly TimelineRow[];
  /** Rows of the whole timeline, before filtering. */
  readonly total: number;
  /** Rows the search matched (among those the run, type and level filters let through); null without a search. */
  readonly matches: number | null;
}

/** A run of the session, for the run filter's options. */
export interface RunOption {
  readonly runId: string;
  /** `grade · 4e8aa0c1`: its flow (`run` until known) and the last 8 characters of its id. */
  readonly label: string;
}

/** A piece of text and whether it is (part of) a search match, to be marked. */
export interface TextPart {
  readonly text: string;
  readonly match: boolean;
}

/**
 * The timeline as the filter shows it. `tool.progress` rows are folded into their tool call (the
 * `tool.started` of the same run, tool and attempt, until its `tool.completed` or `tool.failed`)
 * unless that call's `seq` is in `unfolded`; a progress row whose call is not shown (filtered out,
 * or unknown) stands on its own, and so does every row a search matched. A streamed message counts
 * as type `message` (it becomes one), so it keeps its place under a type filter while it streams.
 *
 * @example
 * ```ts
 * const view = viewTimeline(toTimeline(events), { ...NO_FILTER, search: 'retrieval' }, new Set());
 * view.matches; // 2
 * view.rows.map((row) => row.entry.event.step); // ['start_retrieval', 'retrieval_done']
 * ```
 */
export function viewTimeline(
  entries: readonly TimelineEntry[],
  filter: TimelineFilter,
  unfolded: ReadonlySet<number>,
): TimelineView {
  const search = filter.search.trim().toLowerCase();
  const calls = toolCallOf(entries);
  const passing = entries.filter(
    (entry) => passes(entry, filter) && (!search || matchesSearch(entry, search)),
  );
  const shownSeqs = new Set(passing.map((entry) => entry.event.seq));
  const progressCount = new Map<number, number>();
  for (const entry of passing) {
    const call = calls.get(entry.event.seq);
    if (call !== undefined) progressCount.set(call, (progressCount.get(call) ?? 0) + 1);
  }
  const rows = passing.map((entry): TimelineRow => {
    const { seq } = entry.event;
    const callSeq = calls.get(seq) ?? null;
    const count = progressCount.get(seq);
    return {
      entry,
      // A search shows what it found: a match is never folded away.
      folded: callSeq !== null && shownSeqs.has(callSeq) && !unfolded.has(callSeq) && !search,
      callSeq,
      // Nothing to fold while searching (see above): no fold control either.
      progress:
        entry.event.type === 'tool.started' && !search
          ? { count: count ?? 0, unfolded: unfolded.has(seq) }
          : null,
    };
  });
  return { rows, total: entries.length, matches: search ? passing.length : null };
}

/** The type a row counts as for the type filter: a streamed message is a `message` from its first piece. */
export function rowType(entry: TimelineEntry): string {
  return entry.streamed ? 'message' : entry.event.type;
}

/** The types of the timeline's rows, in the order they first appear. */
export function typesPresent(entries: readonly TimelineEntry[]): string[] {
  return [...new Set(entries.map(rowType))];
}

/**
 * The runs of `events` in the order they first appear, labelled as the run list names them: the
 * flow and the id's last 8 characters. The run a filter holds stays an option when `events` lack it
 * (not arrived yet, or a view of another run), so the select always shows what filters the rows.
 *
 * @example
 * ```ts
 * runOptions(events, null); // [{ runId: '9d1e…4e8aa0c1', label: 'quiz · 4e8aa0c1' }]
 * ```
 */
export function runOptions(events: readonly SessionEvent[], selected: string | null): RunOption[] {
  const flows = new Map<string, string | null>();
  for (const event of events) {
    if (!event.run_id) continue;
    const flow = event.type === 'run.started' && typeof event.meta.flow === 'string' ? event.meta.flow : null;
    if (!flows.has(event.run_id) || flow) flows.set(event.run_id, flow ?? flows.get(event.run_id) ?? null);
  }
  if (selected !== null && !flows.has(selected)) flows.set(selected, null);
  return [...flows].map(([runId, flow]) => ({ runId, label: `${flow ?? 'run'} · ${runId.slice(-8)}` }));
}

/**
 * `text` cut into the parts that match `search` (any case) and the parts between, for `<mark>`.
 *
 * @example
 * ```ts
 * matchParts('start_retrieval', 'RETRIEVAL'); // [{ text: 'start_', match: false }, { text: 'retrieval', match: true }]
 * ```
 */
export function matchParts(text: string, search: string): TextPart[] {
  const needle = search.trim().toLowerCase();
  if (!needle) return [{ text, match: false }];
  const haystack = text.toLowerCase();
  const parts: TextPart[] = [];
  let from = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, from)) {
    if (at > from) parts.push({ text: text.slice(from, at), match: false });
    parts.push({ text: text.slice(at, at + needle.length), match: true });
    from = at + needle.length;
  }
  if (from < text.length || parts.length === 0) parts.push({ text: text.slice(from), match: false });
  return parts;
}

/**
 * A filter read back from storage: anything missing or malformed falls back to "no filter" for that
 * field, so a stale or hand-edited value never breaks the page.
 */
export function parseFilter(value: unknown): TimelineFilter {
  if (typeof value !== 'object' || value === null) return NO_FILTER;
  const { runId, types, minLevel, search } = value as Record<string, unknown>;
  return {
    runId: typeof runId === 'string' && runId !== '' ? runId : null,
    types: Array.isArray(types) ? types.filter((type): type is string => typeof type === 'string') : [],
    minLevel: LEVELS.includes(minLevel as Level) ? (minLevel as Level) : 'debug',
    search: typeof search === 'string' ? search : '',
  };
}

export function isFiltered(filter: TimelineFilter): boolean {
  return (
    filter.runId !== null ||
    filter.types.length > 0 ||
    filter.minLevel !== 'debug' ||
    filter.search.trim() !== ''
  );
}

function passes(entry: TimelineEntry, filter: TimelineFilter): boolean {
  const { event } = entry;
  if (filter.runId !== null && runOf(event) !== filter.runId) return false;
  if (filter.types.length > 0 && !filter.types.includes(rowType(entry))) return false;
  return LEVELS.indexOf(event.level) >= LEVELS.indexOf(filter.minLevel);
}

/** A webhook delivery is about a run but carries `run_id: null` (it is not the run's event): `meta.run_id` says which. */
function runOf(event: SessionEvent): string | null {
  if (event.run_id) return event.run_id;
  return typeof event.meta.run_id === 'string' ? event.meta.run_id : null;
}

/** The texts a search looks in: the row's message (a streamed message's text so far), step, tool and type. */
export function searchedTexts(entry: TimelineEntry): string[] {
  const { event } = entry;
  return [entry.streamed?.text ?? event.message, event.step ?? '', event.tool ?? '', event.type];
}

function matchesSearch(entry: TimelineEntry, needle: string): boolean {
  return searchedTexts(entry).some((text) => text.toLowerCase().includes(needle));
}

/**
 * For each `tool.progress` row, the `seq` of the `tool.started` of its call: the latest open call
 * of the same run and tool. A call closes at its `tool.completed` or `tool.failed`, at the end of
 * its run, and, for an attempt that failed and is retried, at the next attempt's `tool.started`
 * (the retry's warning, sent before it, stays with the attempt that failed).
 */
function toolCallOf(entries: readonly TimelineEntry[]): Map<number, number> {
  const open = new Map<string, { seq: number; attempt: number | null }[]>();
  const owner = new Map<number, number>();
  for (const { event } of entries) {
    const key = `${event.run_id ?? ''}\u0000${event.tool ?? ''}`;
    const calls = open.get(key) ?? [];
    const latest = calls.at(-1);
    if (event.type === 'tool.started') {
      const attempt = typeof event.meta.attempt === 'number' ? event.meta.attempt : null;
      const retried = attempt === null ? undefined : calls.findLast((call) => call.attempt === attempt - 1);
      open.set(key, [...calls.filter((call) => call !== retried), { seq: event.seq, attempt }]);
    } else if (event.type === 'tool.progress') {
      if (latest) owner.set(event.seq, latest.seq);
    } else if (event.type === 'tool.completed' || event.type === 'tool.failed') {
      open.set(key, calls.slice(0, -1));
    } else if (
      event.type === 'run.completed' ||
      event.type === 'run.failed' ||
      event.type === 'run.cancelled'
    ) {
      const run = `${event.run_id ?? ''}\u0000`;
      for (const other of [...open.keys()]) if (other.startsWith(run)) open.delete(other);
    }
  }
  return owner;
}
