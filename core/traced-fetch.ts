import type { Span } from './telemetry.ts';

/**
 * Wraps `fetch` for a tool call: every request carries the span's trace context (`traceparent`, …)
 * so the service it calls joins the session's trace, and is aborted with `signal` (cancel, timeout).
 * Headers the tool sets itself win over injected ones; a signal the tool passes is combined, not replaced.
 *
 * @example
 * ```ts
 * const fetch = tracedFetch(span, controller.signal);
 * await fetch(`${ragUrl}/search`, { method: 'POST', body }); // sends traceparent, stops on abort
 * ```
 */
export function tracedFetch(span: Span, signal: AbortSignal, base?: typeof fetch): typeof fetch {
  return (input, init) => {
    const trace: Record<string, string> = {};
    span.inject(trace);
    // A Request's own headers are dropped when `init.headers` is given, so start from them.
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    for (const [name, value] of Object.entries(trace)) if (!headers.has(name)) headers.set(name, value);
    const own = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    // Resolved per request so a fetch swapped in later (tests, instrumentation) is the one used.
    const send = base ?? globalThis.fetch;
    return send(input, { ...init, headers, signal: own == null ? signal : AbortSignal.any([own, signal]) });
  };
}
