import type { CliStream } from './cli-io.ts';

/** ANSI styles that turn into plain text when colour is off. */
export interface Colors {
  readonly enabled: boolean;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const style =
  (enabled: boolean, open: number, close: number) =>
  (text: string): string =>
    enabled ? `\u001B[${open}m${text}\u001B[${close}m` : text;

/**
 * Whether to colour what goes to `stream`: never with `NO_COLOR` set (https://no-color.org),
 * always with `FORCE_COLOR` set (other than `0`), else only on a terminal that is not `dumb`.
 *
 * @example
 * ```ts
 * colorEnabled(process.stdout, process.env); // false when piped or with NO_COLOR=1
 * ```
 */
export function colorEnabled(stream: CliStream, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/**
 * Colours for one output stream (see {@link colorEnabled}).
 *
 * @example
 * ```ts
 * const colors = createColors(process.stderr, process.env);
 * process.stderr.write(`${colors.red('error:')} something failed\n`);
 * ```
 */
export function createColors(stream: CliStream, env: Readonly<Record<string, string | undefined>>): Colors {
  const enabled = colorEnabled(stream, env);
  return {
    enabled,
    red: style(enabled, 31, 39),
    yellow: style(enabled, 33, 39),
    green: style(enabled, 32, 39),
    cyan: style(enabled, 36, 39),
    dim: style(enabled, 2, 22),
    bold: style(enabled, 1, 22),
  };
}
