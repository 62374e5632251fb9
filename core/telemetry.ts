/**
 * The narrow port through which the core reports spans (after BullMQ's `interfaces/telemetry.ts`).
 * Core never imports `@opentelemetry/*`; `otel/` implements this with the OTel SDK.
 * One trace per session: `startSession` opens it, every run's span is a child of it,
 * every step and tool call a child of its run.
 */
export type SpanKind = 'session' | 'run' | 'step' | 'tool' | 'queue' | 'llm';

export type SpanAttributes = Record<string, string | number | boolean | string[] | undefined>;

export interface SpanEnd {
  status: 'ok' | 'error' | 'cancelled';
  /** The error or cancel reason; recorded on the span, never a secret. */
  message?: string;
  error?: unknown;
}

export interface Span {
  /** 32 lowercase hex, or null when tracing is off. */
  readonly traceId: string | null;
  readonly spanId: string | null;
  setAttributes(attributes: SpanAttributes): void;
  addEvent(name: string, attributes?: SpanAttributes): void;
  end(end: SpanEnd): void;
  /** Writes this span's context (`traceparent`, …) into outgoing headers. */
  inject(headers: Record<string, string>): void;
}

export interface SessionTrace {
  traceId: string | null;
  /** Opaque context kept on the session so later runs join the same trace. */
  parent: string | null;
}

export interface Telemetry {
  /** Opens the session's trace; called once, when the session is created. */
  startSession(sessionId: string, attributes: SpanAttributes): SessionTrace;
  /**
   * Starts a run span under the session's trace. `link` is an incoming `traceparent`
   * (for example the caller's HTTP request) that the run is linked to.
   */
  startRun(session: SessionTrace, name: string, attributes: SpanAttributes, link?: string): Span;
  /**
   * Starts a child of a run: a `step`, a `tool` call (under the open step), or the run's `queue` wait
   * (which began before the run's span, at `startTime` in epoch ms); or an `llm` call, a child of the
   * tool span given as `parent`, named `name` as it is (the GenAI conventions' `chat <model>`).
   */
  startChild(
    parent: Span,
    kind: 'step' | 'tool' | 'queue' | 'llm',
    name: string,
    attributes: SpanAttributes,
    startTime?: number,
  ): Span;
  /**
   * Runs `fn` with `span` as the active span, so work it starts (an HTTP call, a log line, a promise
   * continuation) sees that span even across RxJS and async boundaries. Returns what `fn` returns.
   */
  withSpan<T>(span: Span, fn: () => T): T;
  /**
   * True while an HTTP client instrumentation traces `fetch` (OpenTelemetry's undici instrumentation):
   * a request started inside `withSpan(span, …)` gets a client span under `span` and sends that client
   * span's `traceparent`. `ctx.fetch` then writes no trace headers itself, which would make a second
   * one. Absent or false: `ctx.fetch` injects the tool span's context itself.
   */
  readonly tracesFetch?: boolean;
}

const noopSpan: Span = {
  traceId: null,
  spanId: null,
  setAttributes() {},
  addEvent() {},
  end() {},
  inject() {},
};

/** The default port: records nothing and costs nothing. */
export const noopTelemetry: Telemetry = {
  startSession: () => ({ traceId: null, parent: null }),
  startRun: () => noopSpan,
  startChild: () => noopSpan,
  withSpan: (_span, fn) => fn(),
};
