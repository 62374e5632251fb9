import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root: where `platform/main.ts` runs from, as `npm start` runs it. */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** A loaded 2-core machine can take several seconds to boot a process under tsx. */
const START_TIMEOUT_MS = 60_000;

/** A gateway process the bench started. */
export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
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
  script = 'platform/main.ts',
  nodeArgs: readonly string[] = [],
): Promise<GatewayProcess> {
  const port = await freePort();
  // BENCH_CPU_PROF_DIR: each server process writes a V8 CPU profile there when it exits (Node refuses
  // --cpu-prof in NODE_OPTIONS, so the bench passes it itself).
  const profDir = process.env.BENCH_CPU_PROF_DIR;
  const profile = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', ...nodeArgs, script], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: '0', ...env, PORT: String(port) },
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
  return { url, pid: child.pid, stop };
}
