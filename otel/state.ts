import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Telemetry } from '../core/telemetry.ts';

/** What `otel/register.ts` started in this process, for the platform to pick up. */
export interface InstalledOtel {
  /** Core's port on the SDK; null when only metrics are on. */
  telemetry: Telemetry | null;
  /** The reader behind `GET /metrics`; null unless `METRICS_PROMETHEUS=true`. */
  prometheus: PrometheusExporter | null;
  /** Sends the spans still buffered (call before the process exits). */
  flush(): Promise<void>;
  /** Flushes and stops the SDK. */
  shutdown(): Promise<void>;
}

// On globalThis under a registered symbol, so the `--import`ed hook and the app share it even if
// the module were ever loaded twice (two loaders, two copies of the package).
const KEY = Symbol.for('tributary.otel');
const holder = globalThis as typeof globalThis & { [KEY]?: InstalledOtel };

export function installedOtel(): InstalledOtel | undefined {
  return holder[KEY];
}

export function setInstalledOtel(installed: InstalledOtel | undefined): void {
  holder[KEY] = installed;
}
