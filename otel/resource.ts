import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';

/** The instrumentation scope of every span and instrument Tributary makes itself. */
export const TRACER_NAME = 'tributary';
export const SERVICE_NAME = 'tributary';

let version: string | undefined;

/** `version` of the package.json next to this folder (read once). */
export function serviceVersion(): string {
  if (version === undefined) {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const found = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
    version = typeof found === 'string' ? found : '0.0.0';
  }
  return version;
}

/** This process's id in telemetry: one per process, so two gateways behind one name stay apart. */
const INSTANCE_ID = randomUUID();

/**
 * `service.name=tributary`, `service.version` from package.json and a `service.instance.id` per
 * process. `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` still win: the SDK merges what it
 * detects from the environment over this.
 */
export function tributaryResource(): Resource {
  return resourceFromAttributes({
    'service.name': SERVICE_NAME,
    'service.version': serviceVersion(),
    'service.instance.id': INSTANCE_ID,
  });
}
