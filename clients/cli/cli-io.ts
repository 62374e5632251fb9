/** A stream the CLI writes to: `process.stdout` and `process.stderr` fit; `isTTY` picks the rendering. */
export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** The terminal's width; a spinner needs it to redraw (0 on a terminal of unknown size). */
  columns?: number;
}

/**
 * Where the CLI writes and how it hears Ctrl-C: the process by default, fakes in tests.
 * `onSignal` returns a function that removes the listener (installing one stops Node's default exit).
 */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  onSignal(signal: NodeJS.Signals, listener: () => void): () => void;
  /** Where a command that asks (`tributary quiz`) reads the answers; left out, it has none. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/**
 * The real process as the CLI's {@link CliIo}.
 *
 * @example
 * ```ts
 * const io = processIo();
 * const off = io.onSignal('SIGINT', () => io.stderr.write('cancelling…\n'));
 * off();
 * ```
 */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    // A getter: Node makes process.stdin on first use, and only `quiz` uses it.
    get stdin() {
      return process.stdin;
    },
    onSignal(signal, listener) {
      process.on(signal, listener);
      return () => {
        process.off(signal, listener);
      };
    },
  };
}
