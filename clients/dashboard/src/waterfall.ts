import type { SessionEvent } from './types.ts';

/** What a bar stands for: the wait for a slot, a flow step, one attempt of a tool call, a wait for a person. */
export type BarKind = 'queue' | 'step' | 'tool' | 'approval';

/**
 * How the bar's span ended, shown as colour and as text: `running` while it goes on, `waiting` for
 * the queue and an open approval.
 */
export type BarOutcome = 'ok' | 'failed' | 'cancelled' | 'waiting' | 'running';

export interface WaterfallBar {
  /** Stable across renders of the same run (the seq of the event that opened it), for keyed lists. */
  readonly id: string;
  readonly kind: BarKind;
  /** The step's or tool's name; `queue` for the queue wait. */
  readonly name: string;
  /** Milliseconds from the start of the axis. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly outcome: BarOutcome;
  /** The attempt of a tool call (1, 2, …), else null. */
  readonly attempt: number | null;
  /** A failed tool attempt that was tried again. */
  readonly retried: boolean;
  /** Why it failed or was cancelled (e.g. `TOOL_FAILED`, `HTTP 503 from …`). */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Seq of the event that opened the bar. */
  readonly seq: number;
}

export interface Waterfall {
  /** When the axis starts (the queue's start or the run's first event), epoch ms. */
  readonly startedAt: number;
  /** Length of the axis: to the run's end, or to `now` while it goes on. */
  readonly totalMs: number;
  /** The run has not ended: the axis and the open bars grow with `now`. */
  readonly live: boolean;
  /** In start order (ties by the seq that opened them). */
  readonly bars: readonly WaterfallBar[];
}

/** How a bar still open when its run ended ends with it. */
const OPEN_AT_END: Record<string, BarOutcome> = {
  'run.completed': 'ok',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
};

interface OpenBar {
  kind: BarKind;
  name: string;
  start: number;
  attempt: number | null;
  seq: number;
  /** For approvals: which request it is. */
  key: string;
}

/**
 * The waterfall of one run, from that run's events alone (other runs' events are skipped): the queue
 * wait (`run.queued` → `run.started`, else `run.started`'s `meta.queue_wait_ms`, so every started
 * run has one, 0 ms long when it started at once), one bar per `step` (to the next step or the run's end), one per tool
 * attempt (`tool.started` → `tool.completed`/`tool.failed`, or the `warn` progress that announced its
 * retry) and one per approval wait (`approval.requested` → `approval.resolved`). While the run goes
 * on, the axis and the open bars end at `now`.
 *
 * @example
 * ```ts
 * const chart = toWaterfall(events, runId, Date.now());
 * chart.bars.map((bar) => `${bar.name} ${bar.outcome}`);
 * // ['queue waiting', 'planner ok', 'intent_determined ok', 'start_retrieval ok', 'rag_search failed', 'rag_search failed', 'tool_error failed']
 * ```
 */
export function toWaterfall(events: readonly SessionEvent[], runId: string, now: number): Waterfall {
  const own = events.filter((event) => event.run_id === runId);
  const bars: WaterfallBar[] = [];
  const openTools: OpenBar[] = [];
  const openApprovals: OpenBar[] = [];
  let queue: OpenBar | null = null;
  let step: OpenBar | null = null;
  let first: number | null = null;
  let end: { at: number; type: string; error: WaterfallBar['error'] } | null = null;

  const close = (bar: OpenBar, at: number, outcome: BarOutcome, extra: Partial<WaterfallBar> = {}): void => {
    bars.push({
      id: `${bar.kind}-${bar.seq}`,
      kind: bar.kind,
      name: bar.name,
      startMs: bar.start,
      durationMs: Math.max(0, at - bar.start),
      outcome,
      attempt: bar.attempt,
      retried: false,
      error: null,
      seq: bar.seq,
      ...extra,
    });
  };
  const takeTool = (tool: string, attempt: unknown): OpenBar | undefined => {
    // Calls of the same tool may overlap: the attempt number picks the one, else the oldest open.
    const index = openTools.findIndex(
      (bar) => bar.name === tool && (typeof attempt !== 'number' || bar.attempt === attempt),
    );
    return index < 0 ? undefined : openTools.splice(index, 1)[0];
  };

  for (const event of own) {
    if (end) break;
    const at = Date.parse(event.ts);
    first ??= at;
    const { meta } = event;
    switch (event.type) {
      case 'run.queued':
        queue ??= { kind: 'queue', name: 'queue', start: at, attempt: null, seq: event.seq, key: '' };
        break;
      case 'run.started': {
        // Not queued behind anything, the run still waited for a slot (or a worker) since it was
        // created: that wait is its queue bar, 0 ms long when it started at once.
        if (!queue && typeof meta.queue_wait_ms === 'number')
          queue = {
            kind: 'queue',
            name: 'queue',
            start: at - meta.queue_wait_ms,
            attempt: null,
            seq: event.seq,
            key: '',
          };
        if (queue) close(queue, at, 'waiting');
        queue = null;
        break;
      }
      case 'step':
        if (step) close(step, at, step.name === 'tool_error' ? 'failed' : 'ok');
        step = {
          kind: 'step',
          name: event.step ?? 'step',
          start: at,
          attempt: null,
          seq: event.seq,
          key: '',
        };
        break;
      case 'tool.started':
        openTools.push({
          kind: 'tool',
          name: event.tool ?? 'tool',
          start: at,
          attempt: typeof meta.attempt === 'number' ? meta.attempt : 1,
          seq: event.seq,
          key: '',
        });
        break;
      case 'tool.progress': {
        // A `warn` progress with an error code is a failed attempt about to be retried.
        if (event.level !== 'warn' || typeof meta.code !== 'string') break;
        const bar = takeTool(event.tool ?? 'tool', meta.attempt);
        if (bar)
          close(bar, at, 'failed', { retried: true, error: { code: meta.code, message: event.message } });
        break;
      }
      case 'tool.completed': {
        const bar = takeTool(event.tool ?? 'tool', meta.attempt);
        if (bar) close(bar, at, 'ok');
        break;
      }
      case 'tool.failed': {
        const bar = takeTool(event.tool ?? 'tool', meta.attempt);
        const code = typeof meta.code === 'string' ? meta.code : 'TOOL_FAILED';
        if (bar) close(bar, at, 'failed', { error: { code, message: event.message } });
        break;
      }
      case 'approval.requested':
        openApprovals.push({
          kind: 'approval',
          name: event.tool ?? String(meta.tool ?? 'approval'),
          start: at,
          attempt: null,
          seq: event.seq,
          key: String(meta.approval_id ?? ''),
        });
        break;
      case 'approval.resolved': {
        const index = openApprovals.findIndex((bar) => bar.key === String(meta.approval_id ?? ''));
        const bar = index < 0 ? undefined : openApprovals.splice(index, 1)[0];
        if (!bar) break;
        if (meta.approved === true) close(bar, at, 'ok');
        else
          close(bar, at, 'failed', {
            error: {
              code: meta.reason === 'timeout' ? 'APPROVAL_TIMEOUT' : 'APPROVAL_REJECTED',
              message: event.message,
            },
          });
        break;
      }
      case 'run.completed':
      case 'run.failed':
      case 'run.cancelled':
        end = { at, type: event.type, error: runError(event) };
        break;
      default:
        break;
    }
  }

  const stop = end?.at ?? Math.max(now, first ?? now);
  const stillOpen = [queue, step, ...openTools, ...openApprovals].filter((bar) => bar !== null);
  for (const bar of stillOpen) {
    if (!end) close(bar, stop, bar.kind === 'queue' || bar.kind === 'approval' ? 'waiting' : 'running');
    // The last step shares its run's ending; a call or wait cut short by it did not complete.
    else if (bar.kind === 'step')
      close(bar, stop, bar.name === 'tool_error' ? 'failed' : OPEN_AT_END[end.type]!);
    else
      close(bar, stop, end.type === 'run.completed' ? 'ok' : OPEN_AT_END[end.type]!, {
        error: end.type === 'run.completed' ? null : end.error,
      });
  }

  const startedAt = Math.min(first ?? stop, ...bars.map((bar) => bar.startMs));
  return {
    startedAt,
    totalMs: Math.max(0, stop - startedAt),
    live: end === null,
    bars: bars
      .map((bar) => ({ ...bar, startMs: bar.startMs - startedAt }))
      .sort((a, b) => a.startMs - b.startMs || a.seq - b.seq),
  };
}

function runError(event: SessionEvent): WaterfallBar['error'] {
  if (event.type === 'run.completed') return null;
  const code =
    typeof event.meta.code === 'string'
      ? event.meta.code
      : event.type === 'run.cancelled'
        ? 'RUN_CANCELLED'
        : 'RUN_FAILED';
  return { code, message: event.message };
}
