import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  INVALID_SPANID,
  INVALID_TRACEID,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Exception,
  type Link,
  type Span as OtelApiSpan,
  type SpanContext,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
// Straight from the files, not core/index.ts: `register.ts` loads this before the app, and the
// index would load pino before its instrumentation is in place.
import { errorMessage, isTributaryError } from '../core/errors.ts';
import type {
  SessionTrace,
  Span,
  SpanAttributes,
  SpanEnd,
  SpanKind as PortSpanKind,
  Telemetry,
} from '../core/telemetry.ts';
import { TRACER_NAME, serviceVersion } from './resource.ts';

export interface OtelTelemetryOptions {
  /** Where spans go; the global tracer (whatever `otel/register.ts` or a test registered) by default. */
  tracer?: Tracer;
  /** Writes outgoing headers in `inject`; the global propagator by default. */
  propagator?: TextMapPropagator;
  /**
   * Asked per request: is an HTTP client instrumentation of `fetch` on (see `fetchTracedBy`)? Then
   * `ctx.fetch` leaves the `traceparent` to its client span. Never, by default: `ctx.fetch` injects.
   */
  fetchTraced?: () => boolean;
}

/** Drops `undefined` values, which OpenTelemetry attributes cannot hold (copying only when there are some). */
function attributesOf(attributes: SpanAttributes | undefined): Attributes {
  if (!attributes) return {};
  let clean = true;
  for (const key in attributes) {
    if (attributes[key] === undefined) {
      clean = false;
      break;
    }
  }
  if (clean) return attributes as Attributes;
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/** What `recordException` wants: the Error itself (name, message, stack), or its text. */
function exceptionOf(error: unknown): Exception {
  if (error instanceof Error) return error;
  return errorMessage(error);
}

/**
 * The port's span over an OpenTelemetry span. A run's span remembers its open step, so a tool
 * called during that step becomes the step's child (session → run → step → tool).
 */
class OtelSpan implements Span {
  /** For a run: the step span now open, if any. */
  openStep: OtelSpan | null = null;
  private ended = false;
  private ownContext: Context | undefined;

  constructor(
    readonly otel: OtelApiSpan,
    readonly kind: PortSpanKind,
    private readonly propagator: TextMapPropagator | undefined,
    /** For a step: the run it belongs to. */
    private readonly run: OtelSpan | null = null,
  ) {}

  // Read on demand: the core rarely asks, and a span is made for every step and tool call.
  get traceId(): string | null {
    const { traceId } = this.otel.spanContext();
    return traceId === INVALID_TRACEID ? null : traceId;
  }

  get spanId(): string | null {
    const { spanId } = this.otel.spanContext();
    return spanId === INVALID_SPANID ? null : spanId;
  }

  /** A context holding only this span: the parent of its children, and what `withSpan` makes active. */
  get context(): Context {
    return (this.ownContext ??= trace.setSpan(ROOT_CONTEXT, this.otel));
  }

  setAttributes(attributes: SpanAttributes): void {
    this.otel.setAttributes(attributesOf(attributes));
  }

  addEvent(name: string, attributes?: SpanAttributes): void {
    this.otel.addEvent(name, attributesOf(attributes));
  }

  /**
   * `ok` sets status OK. `error` sets ERROR with the message and records the exception. `cancelled`
   * leaves the status UNSET (a cancel is what someone asked for, not a fault) and records it as a
   * `<kind>.cancelled` event with the reason plus `<kind>.cancelled` / `<kind>.cancel_reason` attributes.
   */
  end(end: SpanEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (this.run?.openStep === this) this.run.openStep = null;
    const span = this.otel;
    if (end.status === 'ok') {
      span.setStatus({ code: SpanStatusCode.OK });
    } else if (end.status === 'error') {
      const message = end.message ?? (end.error === undefined ? 'failed' : errorMessage(end.error));
      if (end.error !== undefined) span.recordException(exceptionOf(end.error));
      if (isTributaryError(end.error)) span.setAttribute('error.type', end.error.code);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    } else {
      const reason = end.message ?? (end.error === undefined ? 'cancelled' : errorMessage(end.error));
      span.setAttributes({ [`${this.kind}.cancelled`]: true, [`${this.kind}.cancel_reason`]: reason });
      span.addEvent(`${this.kind}.cancelled`, { reason });
    }
    span.end();
  }

  inject(headers: Record<string, string>): void {
    const carrier = trace.setSpan(context.active(), this.otel);
    if (this.propagator) this.propagator.inject(carrier, headers, defaultTextMapSetter);
    else propagation.inject(carrier, headers);
  }
}

/**
 * Core's {@link Telemetry} port on `@opentelemetry/api`: one trace per session.
 *
 * - `startSession` starts and at once ends a root span `session <id>` (attributes `session.id`,
 *   `user.id`, `agent.id`; a link to the span active then, such as the creating HTTP request) and
 *   returns its trace id and W3C `traceparent`, which the session stores.
 * - `startRun` starts `run <flow>` as a child of that stored context, so every run of a session is in
 *   its trace; an incoming `traceparent` (the caller's) becomes a span link.
 * - `startChild` starts `step <name>` under the run, `tool <name>` under the run's open step (or
 *   the run when no step is open), and an `llm` call as a CLIENT span `<name>` under its tool span.
 * - `withSpan` makes a span active (AsyncLocalStorage), so instrumented HTTP and pino inside see it.
 * - `tracesFetch` is what `options.fetchTraced` says now.
 *
 * @example
 * ```ts
 * const runtime = await Runtime.start({ config, store, plugins, telemetry: createOtelTelemetry() });
 * ```
 */
export function createOtelTelemetry(options: OtelTelemetryOptions = {}): Telemetry {
  const tracer = options.tracer ?? trace.getTracer(TRACER_NAME, serviceVersion());
  const { propagator, fetchTraced } = options;
  // The session's parent is stored as W3C trace context whatever the global propagator is.
  const w3c = new W3CTraceContextPropagator();

  const traceparentOf = (spanContext: SpanContext): string | null => {
    const carrier: Record<string, string> = {};
    w3c.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, defaultTextMapSetter);
    return carrier.traceparent ?? null;
  };
  const contextOf = (traceparent: string | null | undefined): Context | null => {
    if (!traceparent) return null;
    const extracted = w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
    const spanContext = trace.getSpanContext(extracted);
    return spanContext && isSpanContextValid(spanContext) ? extracted : null;
  };

  return {
    startSession(sessionId, attributes) {
      // A trace of its own, linked to the span that created it (the HTTP request, when instrumented).
      const creator = trace.getSpanContext(context.active());
      const span = tracer.startSpan(
        `session ${sessionId}`,
        {
          root: true,
          kind: SpanKind.INTERNAL,
          attributes: attributesOf(attributes),
          links: creator && isSpanContextValid(creator) ? [{ context: creator }] : [],
        },
        ROOT_CONTEXT,
      );
      const spanContext = span.spanContext();
      // Ended at once: it only anchors the trace; runs come later as its children.
      span.end();
      if (!isSpanContextValid(spanContext)) return { traceId: null, parent: null };
      return { traceId: spanContext.traceId, parent: traceparentOf(spanContext) };
    },

    startRun(session: SessionTrace, name, attributes, link) {
      // A session created while tracing was off has no parent: its runs start traces of their own.
      const parent = contextOf(session.parent) ?? ROOT_CONTEXT;
      const linked = contextOf(link);
      const linkedContext = linked ? trace.getSpanContext(linked) : undefined;
      const links: Link[] = linkedContext
        ? [{ context: linkedContext, attributes: { 'link.reason': 'run requested' } }]
        : [];
      const span = tracer.startSpan(
        name,
        {
          kind: SpanKind.INTERNAL,
          attributes: attributesOf(attributes),
          links,
          root: parent === ROOT_CONTEXT,
        },
        parent,
      );
      return new OtelSpan(span, 'run', propagator);
    },

    startChild(parent, kind, name, attributes, startTime) {
      const run = parent instanceof OtelSpan ? parent : null;
      const under = kind === 'tool' ? (run?.openStep ?? run) : run;
      const parentContext = under ? under.context : ROOT_CONTEXT;
      // A model call is a client span named by the GenAI conventions (`chat <model>`).
      const llm = kind === 'llm';
      const span = tracer.startSpan(
        llm ? name : `${kind} ${name}`,
        {
          kind: llm ? SpanKind.CLIENT : SpanKind.INTERNAL,
          attributes: attributesOf(attributes),
          root: under === null,
          startTime,
        },
        parentContext,
      );
      const child = new OtelSpan(span, kind, propagator, kind === 'step' ? run : null);
      if (kind === 'step' && run) run.openStep = child;
      return child;
    },

    withSpan(span, fn) {
      if (!(span instanceof OtelSpan)) return fn();
      // The span's own context, not the caller's: a run started from an HTTP request (or a queue that
      // freed up inside another run) must not inherit that context, only its span.
      return context.with(span.context, fn);
    },

    // A getter: an instrumentation can be disabled (or enabled) after the telemetry was made.
    get tracesFetch() {
      return fetchTraced?.() ?? false;
    },
  };
}
