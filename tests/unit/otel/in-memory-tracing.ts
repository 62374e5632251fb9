import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll } from 'vitest';

export interface InMemoryTracing {
  exporter: InMemorySpanExporter;
  /** Every span ended so far in this test. */
  spans(): ReadableSpan[];
  /** The one ended span called `name` (fails the test if there is not exactly one). */
  span(name: string): ReadableSpan;
  /** The parent span id of `span`, or undefined for a root. */
  parentOf(span: ReadableSpan): string | undefined;
}

/**
 * Registers, for the calling suite, a tracer provider that keeps ended spans in memory
 * (SimpleSpanProcessor over an InMemorySpanExporter), the AsyncLocalStorage context manager and the
 * W3C propagator, as the SDK does in production; spans are cleared after each test.
 */
export function useInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => {
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  const spans = () => exporter.getFinishedSpans();
  return {
    exporter,
    spans,
    span(name) {
      const found = spans().filter((s) => s.name === name);
      if (found.length !== 1) {
        const names = spans().map((s) => s.name);
        throw new Error(`expected one span "${name}", found ${found.length} among ${JSON.stringify(names)}`);
      }
      return found[0]!;
    },
    parentOf: (span) => span.parentSpanContext?.spanId,
  };
}
