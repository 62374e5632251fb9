/**
 * The modules the ESM loader hook (import-in-the-middle) wraps, so `import`s of them can be patched
 * by the instrumentations of `instrumentations.ts`; anything else loads untouched. undici needs no
 * hook: it reports through `diagnostics_channel`.
 */
export const HOOKED_MODULES: readonly string[] = ['http', 'https', 'koa', 'pino', 'socket.io'];

/** The OTLP encodings over HTTP this package sends (gRPC is not bundled). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtelSettings {
  /** Export spans over OTLP: an endpoint is set, the SDK is not disabled, traces are not `none`. */
  tracing: boolean;
  /** Serve metrics for Prometheus (`METRICS_PROMETHEUS=true`, SDK not disabled). */
  prometheus: boolean;
  /** `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`. */
  protocol: OtlpProtocol;
  /** A protocol that was asked for but is not supported (for example `grpc`); protobuf is used instead. */
  unsupportedProtocol: string | null;
}

type Env = Readonly<Record<string, string | undefined>>;

const set = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * Reads the standard `OTEL_*` variables (and `METRICS_PROMETHEUS`) to decide what to start.
 * Tracing is off unless `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set;
 * `OTEL_SDK_DISABLED=true` turns everything off; `OTEL_TRACES_EXPORTER=none` turns tracing off.
 *
 * @example
 * ```ts
 * readOtelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' });
 * // { tracing: true, prometheus: false, protocol: 'http/protobuf', unsupportedProtocol: null }
 * ```
 */
export function readOtelSettings(env: Env): OtelSettings {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const endpoint = set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) || set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim().toLowerCase());
  const asked = [env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, env.OTEL_EXPORTER_OTLP_PROTOCOL]
    .find(set)
    ?.trim()
    .toLowerCase();
  const known = asked === undefined || asked === 'http/protobuf' || asked === 'http/json';
  return {
    tracing: !disabled && endpoint && !exporters.includes('none'),
    prometheus: !disabled && env.METRICS_PROMETHEUS?.trim() === 'true',
    protocol: asked === 'http/json' ? 'http/json' : 'http/protobuf',
    unsupportedProtocol: known ? null : (asked ?? null),
  };
}

/** True when {@link readOtelSettings} asks for anything at all (otherwise nothing is loaded). */
export function otelWanted(settings: OtelSettings): boolean {
  return settings.tracing || settings.prometheus;
}
