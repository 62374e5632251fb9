/**
 * OpenTelemetry for Tributary: core's `Telemetry` port on `@opentelemetry/api`, runtime metrics, and
 * the pieces the platform wires in. The SDK itself is started by `otel/register.ts`, loaded with
 * `node --import` before the app (see docs/tracing.md); this module only picks up what it started.
 */
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Middleware } from 'koa';
import type { Telemetry } from '../core/index.ts';
import { observeRuntime, prometheusMiddleware, type ObservedRuntime } from './metrics.ts';
import { serviceVersion, TRACER_NAME, tributaryResource } from './resource.ts';
import { installedOtel } from './state.ts';

export {
  carriesTraceContext,
  createFetchInstrumentation,
  createInstrumentations,
  fetchTracedBy,
  redactedUrlAttributes,
  URL_REDACTED,
} from './instrumentations.ts';
export { observeRuntime, prometheusMiddleware } from './metrics.ts';
export type { ObservedRuntime, RuntimeMetrics } from './metrics.ts';
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
  /** Serves `GET /metrics` when Prometheus metrics are on; passes every other request (or all, when off) on. */
  readonly middleware: Middleware;
  /** True when `/metrics` is served. */
  readonly prometheus: boolean;
  /** Stops the runtime metrics and sends the spans still buffered. Call after the runtime shut down. */
  close(): Promise<void>;
}

const passThrough: Middleware = (_ctx, next) => next();

/**
 * Attaches metrics to a started runtime and returns the `/metrics` middleware. With
 * `METRICS_PROMETHEUS=true` it reports on the Prometheus reader `register.ts` started, or, when the
 * process was started without the hook, on a meter provider of its own (metrics need no loader hook).
 * With Prometheus off it does nothing: no event subscription, a pass-through middleware.
 *
 * @example
 * ```ts
 * const otel = instrumentPlatform(runtime, { prometheus: config.METRICS_PROMETHEUS });
 * app.use(otel.middleware);
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
    middleware: exporter ? prometheusMiddleware(exporter) : passThrough,
    prometheus: exporter !== null,
    close: () =>
      (closing ??= (async () => {
        observed?.stop();
        await own?.shutdown();
        await installed?.flush();
      })()),
  };
}
