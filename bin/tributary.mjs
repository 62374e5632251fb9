#!/usr/bin/env node
// The `tributary` CLI. Node 20 cannot run TypeScript itself: register tsx (with the repo's tsconfig,
// whatever the working directory), then load the CLI, both resolved from this file's location.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });

/** The command named on the command line: the first argument that is neither an option nor its value. */
function commandName(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--url' || arg === '--api-key') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

// `serve` runs the platform as `npm start` does, which loads the OpenTelemetry hook before the app
// (`--import ./otel/register.ts`); it loads nothing unless OTEL_* / METRICS_PROMETHEUS ask for it.
// The client commands never trace.
if (commandName(process.argv.slice(2)) === 'serve')
  await import(new URL('../otel/register.ts', import.meta.url).href);
await import(new URL('../clients/cli/main.ts', import.meta.url).href);
