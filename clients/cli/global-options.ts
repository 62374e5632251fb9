import { Option, type Command } from 'commander';
import { parseUrl } from './parse-options.ts';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** The options every command takes, before or after its name. */
export interface GlobalOptions {
  /** The gateway, without a trailing slash. */
  url: string;
  apiKey?: string;
  /** Machine-readable output: one JSON document, or one JSON event per line when streaming. */
  json: boolean;
}

/**
 * Declares `--url` (env `TRIBUTARY_URL`), `--api-key` (env `TRIBUTARY_API_KEY`) and `--json` on the root command.
 *
 * @example
 * ```ts
 * const program = addGlobalOptions(new Command('tributary'));
 * ```
 */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(
      new Option('--url <url>', 'the gateway to talk to')
        .env('TRIBUTARY_URL')
        .default(DEFAULT_URL)
        .argParser(parseUrl),
    )
    .addOption(
      new Option('--api-key <key>', 'sent as Authorization: Bearer <key> when the gateway has API_KEYS').env(
        'TRIBUTARY_API_KEY',
      ),
    )
    .addOption(new Option('--json', 'machine-readable output (one JSON event per line when streaming)'));
}

/**
 * The global options as seen from any (sub)command's action.
 *
 * @example
 * ```ts
 * program.command('whoami').action((_options, command: Command) => console.log(globalOptions(command).url));
 * ```
 */
export function globalOptions(command: Command): GlobalOptions {
  const options = command.optsWithGlobals<{ url?: string; apiKey?: string; json?: boolean }>();
  return {
    url: options.url ?? DEFAULT_URL,
    apiKey: options.apiKey || undefined,
    json: options.json === true,
  };
}
