/** A tool call a cancel stopped while it ran: listed in `run.cancelled`'s `meta.aborted_tool_calls`. */
export interface AbortedToolCall {
  readonly tool: string;
  /** The attempt that was running (1 for the first try). */
  readonly attempt: number;
  /** How long that attempt had run when the run's signal aborted. */
  readonly running_ms: number;
}

interface InFlight {
  readonly tool: string;
  readonly attempt: number;
  readonly startedAt: number;
}

/**
 * The tool attempts running in one run, so its cancel can say which ones it stopped. It watches the
 * run's signal from the start, before any tool call does, so when the signal aborts it sees every attempt
 * still in flight, before their own abort handlers tear them down.
 *
 * @example
 * ```ts
 * const calls = new InFlightToolCalls(signal);
 * const done = calls.start('rag_search', 1);
 * controller.abort(reason); // calls.aborted: [{ tool: 'rag_search', attempt: 1, running_ms: … }]
 * done();
 * ```
 */
export class InFlightToolCalls {
  readonly #running = new Set<InFlight>();
  #aborted: AbortedToolCall[] = [];

  readonly #now: () => number;

  constructor(signal: AbortSignal, now: () => number = Date.now) {
    this.#now = now;
    signal.addEventListener(
      'abort',
      () => {
        const at = this.#now();
        this.#aborted = [...this.#running].map(({ tool, attempt, startedAt }) => ({
          tool,
          attempt,
          running_ms: at - startedAt,
        }));
      },
      { once: true },
    );
  }

  /** Notes an attempt that starts running now; call the returned function when it is over, however it ends. */
  start(tool: string, attempt: number): () => void {
    const call: InFlight = { tool, attempt, startedAt: this.#now() };
    this.#running.add(call);
    return () => this.#running.delete(call);
  }

  /** The attempts that were running when the run's signal aborted, in the order they started; empty before. */
  get aborted(): readonly AbortedToolCall[] {
    return this.#aborted;
  }
}
