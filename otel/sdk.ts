import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createInstrumentations, fetchTracedBy } from './instrumentations.ts';
import { createOtelTelemetry } from './otel-telemetry.ts';
import { tributaryResource } from './resource.ts';
import type { OtelSettings, OtlpProtocol } from './settings.ts';
import type { InstalledOtel } from './state.ts';

/**
 * The OTLP/HTTP span exporter for `protocol`. Endpoint, headers, timeout and compression come from
 * the standard variables (`OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `…_HEADERS`, `…_TIMEOUT`,
 * `…_COMPRESSION`), which the exporters read themselves.
 */
export function createTraceExporter(protocol: OtlpProtocol): SpanExporter {
  return protocol === 'http/json' ? new OtlpJsonTraceExporter() : new OtlpProtobufTraceExporter();
}

export interface StartOtelOptions {
  /** Library instrumentations to enable; {@link createInstrumentations} by default. */
  instrumentations?: Instrumentation[];
}

/**
 * Starts the OpenTelemetry NodeSDK for this process: the Tributary resource, a BatchSpanProcessor
 * (tuned by `OTEL_BSP_*`) over the OTLP exporter when tracing is on, a Prometheus reader (no server
 * of its own: the gateway serves it) when asked, and the library instrumentations. Sampler and
 * propagators follow `OTEL_TRACES_SAMPLER` and `OTEL_PROPAGATORS` (W3C trace context and baggage by default).
 * No logs are exported; pino lines only get `trace_id` / `span_id`.
 */
export function startOtelSdk(settings: OtelSettings, options: StartOtelOptions = {}): InstalledOtel {
  const processor = settings.tracing ? new BatchSpanProcessor(createTraceExporter(settings.protocol)) : null;
  const prometheus = settings.prometheus ? new PrometheusExporter({ preventServerStart: true }) : null;
  const instrumentations = options.instrumentations ?? createInstrumentations();
  const sdk = new NodeSDK({
    resource: tributaryResource(),
    spanProcessors: processor ? [processor] : [],
    metricReaders: prometheus ? [prometheus] : [],
    logRecordProcessors: [],
    instrumentations,
  });
  sdk.start();
  let stopped: Promise<void> | undefined;
  return {
    // With the undici instrumentation on, a tool's fetch gets a client span that carries the context.
    telemetry: settings.tracing
      ? createOtelTelemetry({ fetchTraced: fetchTracedBy(instrumentations) })
      : null,
    prometheus,
    flush: async () => {
      await processor?.forceFlush();
    },
    shutdown: () => (stopped ??= sdk.shutdown()),
  };
}
