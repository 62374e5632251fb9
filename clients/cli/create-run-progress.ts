import type { CliIo } from './cli-io.ts';
import { createColors } from './colors.ts';
import { lineProgress } from './line-progress.ts';
import type { RunProgress } from './run-progress.ts';
import { taskListProgress } from './task-list-progress.ts';

/**
 * The rendering for a followed run: JSON lines with `--json`, a task list with a spinner on a
 * terminal, plain lines otherwise (piped, `TERM=dumb`, or a terminal of unknown width, which a
 * spinner cannot redraw on).
 *
 * @example
 * ```ts
 * const progress = createRunProgress(processIo(), { json: false });
 * ```
 */
export function createRunProgress(io: CliIo, options: { json: boolean }): RunProgress {
  const colors = createColors(io.stdout, io.env);
  if (!options.json && spinnerTerminal(io)) return taskListProgress(io, colors, { isEnabled: true });
  return lineProgress(io, colors, options);
}

/**
 * Whether stdout is a terminal a spinner can redraw on: the same test as ora's own, but on the
 * CLI's environment (ora reads process.env), so it is decided once, here.
 *
 * @example
 * ```ts
 * spinnerTerminal(processIo()); // false when piped
 * ```
 */
export function spinnerTerminal(io: CliIo): boolean {
  return (
    io.stdout.isTTY === true &&
    (io.stdout.columns ?? 0) > 0 &&
    io.env.TERM !== 'dumb' &&
    io.env.CI === undefined
  );
}
