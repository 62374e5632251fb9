/**
 * OpenTelemetry for Tributary: core's `Telemetry` port on `@opentelemetry/api`, runtime metrics, and
 * the pieces the platform wires in. The SDK itself is started by `otel/register.ts`, loaded with
 * `node --import` before the app (see docs/tracing.md); this module only picks up what it started.
 */
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Telemetry } from '../core/index.ts';
import { observeRuntime, prometheusHandler, type MetricsHandler, type ObservedRuntime } from './metrics.ts';
import { serviceVersion, TRACER_NAME, tributaryResource } from './resource.ts';
import { installedOtel } from './state.ts';

export {
  carriesTraceContext,
  createFetchInstrumentation,
  createInstrumentations,
  fetchTracedBy,
  redactedUrlAttributes,
  untracedRequest,
  URL_REDACTED,
} from './instrumentations.ts';
export { observeRuntime, prometheusHandler } from './metrics.ts';
export type { MetricsHandler, ObservedRuntime, RuntimeMetrics } from './metrics.ts';
export { createOtelTelemetry } from './otel-telemetry.ts';
export type { OtelTelemetryOptions } from './otel-telemetry.ts';
export { SERVICE_NAME, serviceVersion, TRACER_NAME, tributaryResource } from './resource.ts';
export { HOOKED_MODULES, otelWanted, readOtelSettings } from './settings.ts';
export type { OtelSettings, OtlpProtocol } from './settings.ts';
export { installedOtel } from './state.ts';
export type { InstalledOtel } from './state.ts';

/**
 * The OpenTelemetry `Telemetry` when `otel/register.ts` started tracing in this process, else
 * `undefined`, so the runtime keeps core's no-op telemetry (and pays nothing) when tracing is off.
 *
 * @example
 * ```ts
 * const runtime = await Runtime.start({ config, store, telemetry: options.telemetry ?? otelTelemetryIfEnabled() });
 * ```
 */
export function otelTelemetryIfEnabled(): Telemetry | undefined {
  return installedOtel()?.telemetry ?? undefined;
}

export interface PlatformOtel {
  /** Answers a `GET /metrics` request when Prometheus metrics are on; undefined when off. */
  readonly metrics: MetricsHandler | undefined;
  /** True when `/metrics` is served. */
  readonly prometheus: boolean;
  /** Stops the runtime metrics and sends the spans still buffered. Call after the runtime shut down. */
  close(): Promise<void>;
}

/**
 * Attaches metrics to a started runtime and returns the `/metrics` handler. With
 * `METRICS_PROMETHEUS=true` it reports on the Prometheus reader `register.ts` started, or, when the
 * process was started without the hook, on a meter provider of its own (metrics need no loader hook).
 * With Prometheus off it does nothing: no event subscription, no handler.
 *
 * @example
 * ```ts
 * const otel = instrumentPlatform(runtime, { prometheus: config.METRICS_PROMETHEUS });
 * app.use(metricsRoute(otel.metrics)); // gateway/http/metrics-route.ts
 * // on close, after runtime.shutdown():
 * await otel.close();
 * ```
 */
export function instrumentPlatform(
  runtime: ObservedRuntime,
  options: { prometheus?: boolean } = {},
): PlatformOtel {
  const installed = installedOtel();
  let exporter = installed?.prometheus ?? null;
  let own: MeterProvider | null = null;
  if (!exporter && options.prometheus) {
    exporter = new PrometheusExporter({ preventServerStart: true });
    own = new MeterProvider({ resource: tributaryResource(), readers: [exporter] });
  }
  const meter = (own ?? metrics).getMeter(TRACER_NAME, serviceVersion());
  const observed = exporter ? observeRuntime(runtime, meter) : null;
  let closing: Promise<void> | undefined;
  return {
    metrics: exporter ? prometheusHandler(exporter) : undefined,
    prometheus: exporter !== null,
    close: () =>
      (closing ??= (async () => {
        observed?.stop();
        await own?.shutdown();
        await installed?.flush();
      })()),
  };
}
