import { CommanderError } from 'commander';
import { ApiError, CliError, describeError } from './api-error.ts';
import { processIo, type CliIo } from './cli-io.ts';
import { createColors } from './colors.ts';
import { createProgram } from './create-program.ts';

/** `error: <message>`, with the error's catalog code when it has one (a platform that refused to start). */
function errorLine(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const coded = !(error instanceof ApiError) && typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code);
  return `error: ${describeError(error)}${coded ? ` (${code})` : ''}`;
}

/**
 * Runs the `tributary` CLI on `args` (without `node` and the script) and resolves to its exit code:
 * the command's own (0, 1, 130 for Ctrl-C), commander's for usage errors, 1 with `error: …` on stderr
 * for anything that failed (an API problem prints `error: <detail> (<code>)`).
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(['run', 'Quiz me on RxJS operators', '--follow']);
 * ```
 */
export async function runCli(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx = { io, exitCode: 0 };
  try {
    await createProgram(ctx).parseAsync([...args], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.stderr.write(`${createColors(io.stderr, io.env).red(errorLine(error))}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
