import type { Span, Telemetry } from '../telemetry.ts';

/**
 * Wraps `fetch` for a tool call: every request runs with the tool span active and carries its trace
 * context, so the service it calls joins the session's trace, and is aborted with `signal` (cancel,
 * timeout). Who writes `traceparent` depends on the telemetry: when it traces `fetch` itself
 * ({@link Telemetry.tracesFetch}), its HTTP client span (a child of the tool span) does, and this adds
 * nothing; otherwise this injects the tool span's context. Headers the tool sets itself win over
 * injected ones; a signal the tool passes is combined, not replaced.
 *
 * @example
 * ```ts
 * const fetch = tracedFetch(telemetry, span, controller.signal);
 * await fetch(`${ragUrl}/search`, { method: 'POST', body }); // sends traceparent, stops on abort
 * ```
 */
export function tracedFetch(
  telemetry: Telemetry,
  span: Span,
  signal: AbortSignal,
  base?: typeof fetch,
): typeof fetch {
  return (input, init) => {
    // A Request's own headers are dropped when `init.headers` is given, so start from them.
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    // A fetch of the caller's own may bypass the instrumentation, so only the global one is left to it;
    // if it is instrumented after all, the instrumentation skips requests that already carry a traceparent.
    if (telemetry.tracesFetch !== true || base !== undefined) {
      const trace: Record<string, string> = {};
      span.inject(trace);
      for (const [name, value] of Object.entries(trace)) if (!headers.has(name)) headers.set(name, value);
    }
    const own = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    // Resolved per request so a fetch swapped in later (tests, instrumentation) is the one used.
    const send = base ?? globalThis.fetch;
    // A tool that passes back its own `ctx.signal` (the usual spelling) needs nothing combined.
    const request = {
      ...init,
      headers,
      signal: own == null || own === signal ? signal : AbortSignal.any([own, signal]),
    };
    // Active for the call itself, whatever context the tool called from: the client span's parent.
    return telemetry.withSpan(span, () => send(input, request));
  };
}
