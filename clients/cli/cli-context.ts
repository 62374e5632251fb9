import type { CliIo } from './cli-io.ts';

/** What every command action shares: where to write, and the exit code it sets. */
export interface CliContext {
  io: CliIo;
  exitCode: number;
}

/**
 * Writes a value as indented JSON (one document: `--json` on a command that does not stream).
 *
 * @example
 * ```ts
 * printJson(ctx.io, session);
 * ```
 */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
