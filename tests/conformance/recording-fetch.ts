/** One request a tool sent, as the `fetch` under it saw it. */
export interface RecordedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  /** The signal the request was sent with (the run's, the call's and the kit's combined). */
  readonly signal: AbortSignal | undefined;
  /** How the `fetch` promise settled: a response arrived, it was rejected (aborted, refused, …), or not yet. */
  outcome: 'pending' | 'answered' | 'rejected';
}

export interface RecordingFetch {
  /** Pass as `fetch` in `callTool`'s deps; it calls the global `fetch` (which nock intercepts). */
  readonly fetch: typeof fetch;
  readonly requests: readonly RecordedRequest[];
  /** True once at least one request was sent and every one sent was aborted: its signal fired and its fetch rejected. */
  allAborted(): boolean;
  /** Resolves once every request sent so far has settled (answered or rejected): wait on this, not on a poll. */
  settled(): Promise<void>;
}

/**
 * A `fetch` that records what tools send. nock (14, through msw's fetch interceptor) does not tell the mock
 * side that a fetch was aborted, so this is where a test sees that a cancel really reached the request.
 *
 * @example
 * ```ts
 * const recorder = recordingFetch();
 * const deps = { registry, approvals, fetch: recorder.fetch };
 * // … cancel the call …
 * await recorder.settled();
 * recorder.allAborted(); // true
 * ```
 */
export function recordingFetch(): RecordingFetch {
  const requests: RecordedRequest[] = [];
  const outcomes: Promise<unknown>[] = [];
  const recorded: typeof fetch = (input, init) => {
    const request: RecordedRequest = {
      url: input instanceof Request ? input.url : String(input),
      method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
      headers: new Headers(init?.headers),
      signal: init?.signal ?? undefined,
      outcome: 'pending',
    };
    requests.push(request);
    // Resolved per call, so nock's patched global is the one used.
    const sent = globalThis.fetch(input, init);
    outcomes.push(
      sent.then(
        () => (request.outcome = 'answered'),
        () => (request.outcome = 'rejected'),
      ),
    );
    return sent;
  };
  return {
    fetch: recorded,
    requests,
    allAborted: () =>
      requests.length > 0 && requests.every((r) => r.signal?.aborted === true && r.outcome === 'rejected'),
    settled: async () => {
      await Promise.all(outcomes);
    },
  };
}
