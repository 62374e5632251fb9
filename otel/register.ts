/**
 * The OpenTelemetry entry point, loaded before the app with `node --import`:
 *
 *     node --import tsx --import ./otel/register.ts platform/main.ts      (what `npm start` runs)
 *
 * Under ESM, libraries can only be instrumented if a loader hook is in place before they are first
 * imported, and the SDK must be started before the app loads them; a module the app imports cannot
 * do either in time. When the environment asks for nothing (no `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`,
 * no `METRICS_PROMETHEUS=true`, or `OTEL_SDK_DISABLED=true`) this loads nothing at all and the
 * platform runs with core's no-op telemetry. Otherwise it registers the import-in-the-middle hook for
 * the instrumented modules only, starts the SDK (`sdk.ts`), and leaves what it started in `state.ts`,
 * where `otelTelemetryIfEnabled()` and `instrumentPlatform()` (`otel/index.ts`) find it.
 */
import { register } from 'node:module';
import { HOOKED_MODULES, otelWanted, readOtelSettings } from './settings.ts';

const settings = readOtelSettings(process.env);

if (otelWanted(settings)) {
  if (settings.unsupportedProtocol !== null) {
    process.stderr.write(
      `tributary: OTLP protocol "${settings.unsupportedProtocol}" is not supported here; sending http/protobuf\n`,
    );
  }
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: [...HOOKED_MODULES] },
  });
  const { startOtelSdk } = await import('./sdk.ts');
  const { setInstalledOtel } = await import('./state.ts');
  setInstalledOtel(startOtelSdk(settings));
}
