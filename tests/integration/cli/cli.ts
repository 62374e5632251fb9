import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import { createTributaryClient, type TributaryClient } from '../../../clients/api-client.ts';
import { startPlatform, type Platform } from '../../../platform/platform.ts';

/** The CLI as installed: `tributary` is this file run by node. */
export const BIN = fileURLToPath(new URL('../../../bin/tributary.mjs', import.meta.url));
/** The fake tools and flows (`ask` with a delay, `tick`), as a `PLUGINS` module. */
export { FAKE_PLUGINS_MODULE as FAKE_PLUGINS } from '../../fixtures/fake-plugins.ts';
export const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
export { QUIZ_STEPS } from '../../fixtures/quiz-steps.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to (or, when undefined, removed from) the test's environment. */
  env?: Record<string, string | undefined>;
  /** Where the CLI runs: a fresh temp dir by default, to prove it works from any directory. */
  cwd?: string;
  /**
   * Run the CLI in a real pseudo-terminal (util-linux `script`, 100×30, `CI` unset so the spinner is
   * on): stdin, stdout and stderr are the terminal, {@link CliProcess.type} types into it and
   * `stdout` is everything the terminal showed (stderr included, with `\r\n` line ends).
   */
  tty?: boolean;
}

/** `arg` as one word for `sh -c`. */
const shellWord = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/** The environment a CLI child gets: no TRIBUTARY_* leaking in from the shell, no colour unless asked. */
function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['TRIBUTARY_URL', 'TRIBUTARY_API_KEY', 'FORCE_COLOR']) delete env[key];
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** A running `tributary …`: its output so far, a way to wait for a line, to signal it, and its end. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliResult>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly tempDir: string | undefined;

  constructor(args: readonly string[], options: CliOptions = {}) {
    this.tempDir = options.cwd ? undefined : mkdtempSync(join(tmpdir(), 'tributary-cli-'));
    const cwd = options.cwd ?? this.tempDir;
    this.child = options.tty
      ? // -e: script exits with the CLI's code; -f: output is passed on as it comes. A pty created by
        // script has no size until stty gives it one, and ora only spins on a terminal with a width.
        spawn(
          'script',
          [
            '-qfec',
            `stty cols 100 rows 30 && exec ${[process.execPath, BIN, ...args].map(shellWord).join(' ')}`,
            '/dev/null',
          ],
          { cwd, env: childEnv({ CI: undefined, TERM: 'xterm-256color', ...options.env }) },
        )
      : spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv(options.env) });
    this.child.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code, signal) => {
        if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  /** Resolves once stdout matches, rejects if the CLI exits first or `timeoutMs` passes. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    void this.exited.then(() => (done = true));
    while (!pattern.test(this.stdout)) {
      if (done || Date.now() > deadline)
        throw new Error(`no ${pattern} in the CLI's output:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Types `text` on the CLI's stdin; with `tty`, into its terminal (`\x03` is Ctrl-C there). */
  type(text: string): void {
    this.child.stdin.write(text);
  }

  /** Ends the CLI's stdin, as the end of a pipe does (EOF). */
  endInput(): void {
    this.child.stdin.end();
  }
}

/**
 * Runs `node bin/tributary.mjs …args` to its end.
 *
 * @example
 * ```ts
 * const { code, stdout } = await cli(['--url', url, 'sessions', 'ls']);
 * ```
 */
export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new CliProcess(args, options).exited;
}

/**
 * The platform as `npm start` boots it (memory store, real demo backends unless RAG_URL / EXAM_URL are
 * given), on port 0, for the tests of a file or `describe` block.
 *
 * @example
 * ```ts
 * const gw = usePlatform({ PLUGINS: FAKE_PLUGINS });
 * it('lists', async () => expect((await cli(['--url', gw().url, 'sessions', 'ls'])).code).toBe(0));
 * ```
 */
export function usePlatform(
  env: Record<string, string> | (() => Record<string, string>) = {},
): () => Platform & { api: TributaryClient } {
  let platform: (Platform & { api: TributaryClient }) | undefined;
  beforeAll(async () => {
    const started = await startPlatform({
      PORT: '0',
      STORE: 'memory',
      LOG_LEVEL: 'silent',
      SHUTDOWN_TIMEOUT_MS: '0',
      ...(typeof env === 'function' ? env() : env),
    });
    platform = Object.assign(started, { api: createTributaryClient({ baseUrl: started.url }) });
  });
  afterAll(async () => {
    await platform?.close();
  });
  return () => {
    if (!platform) throw new Error('the platform starts in beforeAll');
    return platform;
  };
}

/** A local port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every stored event of a session, over HTTP. */
export async function storedEvents(api: TributaryClient, sessionId: string): Promise<SessionEvent[]> {
  const { data } = await api.GET('/v1/sessions/{session_id}/events', {
    params: { path: { session_id: sessionId }, query: { limit: 1000 } },
  });
  return (data?.items ?? []) as SessionEvent[];
}

/** Polls until the run is finished, and returns its status. */
export async function runStatus(api: TributaryClient, sessionId: string, runId: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { data } = await api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
      params: { path: { session_id: sessionId, run_id: runId } },
    });
    const status = data?.status ?? 'unknown';
    if (!['queued', 'running'].includes(status) || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The plain lines of a followed run that are events of this type, split in columns. */
export function eventLines(stdout: string, type: string): string[][] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(`${type} `))
    .map((line) => line.split(/\s+/));
}

/** The escape that starts every ANSI sequence. */
export const ESC = '\u001B';

/**
 * A RegExp over text with ANSI sequences: `{ESC}` in `source` stands for the escape character
 * (kept out of regex literals, where lint rightly flags control characters).
 *
 * @example
 * ```ts
 * expect(stdout).toMatch(ansi('{ESC}\\[31mrun\\.failed'));
 * ```
 */
export function ansi(source: string, flags = ''): RegExp {
  return new RegExp(source.replaceAll('{ESC}', ESC), flags);
}

/**
 * Runs the CLI in this process (`runCli` with captured output): for usage and validation paths, where
 * starting node is all the cost. Commander still reads `TRIBUTARY_*` from this process's environment.
 *
 * @example
 * ```ts
 * const { code, stderr } = await cliInProcess(['sessions', 'ls', '--limit', '0']);
 * ```
 */
export async function cliInProcess(
  args: readonly string[],
  env: Record<string, string | undefined> = { NO_COLOR: '1' },
): Promise<Omit<CliResult, 'signal'>> {
  const { runCli } = await import('../../../clients/cli/run-cli.ts');
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd: process.cwd(),
    onSignal: () => () => {},
  });
  return { code, stdout, stderr };
}
