import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoopDelay } from './loop-delay.ts';

/** The repository root: where `platform/main.ts` runs from, as `npm start` runs it. */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Preloaded with `loopDelay: true`. */
const LOOP_DELAY_MODULE = fileURLToPath(new URL('./loop-delay.ts', import.meta.url));
/** A loaded 2-core machine can take several seconds to boot a process under tsx. */
const START_TIMEOUT_MS = 60_000;

/** A gateway process the bench started. */
export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
  /**
   * With `loopDelay: true`: the event-loop delay since the last call (or the start), then starts a new
   * window (see `loop-delay.ts`). Without it, rejects.
   */
  loopDelay(): Promise<LoopDelay>;
  /** SIGTERM, then SIGKILL if it has not exited after a few seconds. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the process binds it itself, with LOG_LEVEL=warn it prints no URL). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`gateway process exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    try {
      const response = await fetch(`${url}/readyz`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new Error(`gateway process not ready after ${START_TIMEOUT_MS} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts `platform/main.ts` (`node --import tsx`, as the tests do) with `env` over the bench's own
 * environment, on a free port, `LOG_LEVEL=warn` (no access log per request), and resolves once
 * `/readyz` answers 200 (every role serves it). `script` (from the repository root) starts another
 * server that reads `PORT` and serves `/readyz` the same way (the run-cost bench's bare server).
 * `nodeArgs` go to node before the script (`--import ./otel/register.ts`, as `npm start` loads it).
 * `loopDelay` preloads `loop-delay.ts`, read with {@link GatewayProcess.loopDelay}.
 *
 * @example
 * ```ts
 * const node = await startGateway({ STORE: 'sqlite', SQLITE_PATH: path });
 * await fetch(`${node.url}/v1/stats`);
 * await node.stop();
 * ```
 */
export async function startGateway(
  env: Record<string, string>,
  {
    script = 'platform/main.ts',
    nodeArgs = [],
    loopDelay = false,
  }: { script?: string; nodeArgs?: readonly string[]; loopDelay?: boolean } = {},
): Promise<GatewayProcess> {
  const port = await freePort();
  const delayFile = loopDelay ? join(mkdtempSync(join(tmpdir(), 'loop-delay-')), 'delay.json') : undefined;
  const preload = delayFile ? ['--import', LOOP_DELAY_MODULE] : [];
  // BENCH_CPU_PROF_DIR: each server process writes a V8 CPU profile there when it exits (Node refuses
  // --cpu-prof in NODE_OPTIONS, so the bench passes it itself).
  const profDir = process.env.BENCH_CPU_PROF_DIR;
  const profile = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', ...preload, ...nodeArgs, script], {
    cwd: REPO,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '0',
      ...env,
      PORT: String(port),
      ...(delayFile ? { BENCH_LOOP_DELAY_FILE: delayFile } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitReady(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error('gateway process has no pid');
  let signals = 0;
  const readDelay = async (): Promise<LoopDelay> => {
    if (!delayFile) throw new Error('started without loopDelay');
    signals += 1;
    child.kill('SIGUSR2');
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        const report = JSON.parse(readFileSync(delayFile, 'utf8')) as LoopDelay;
        if (report.seq === signals) return report;
      } catch {
        // Not written yet, or being written.
      }
      if (Date.now() > deadline) throw new Error(`no event-loop delay report from ${child.pid}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { url, pid: child.pid, stop, loopDelay: readDelay };
}
