import { TributaryError } from '../core/errors.ts';

/** Loopback by default: demo backends serve the local platform, not the network. */
export const DEFAULT_DEMO_HOST = '127.0.0.1';

/**
 * How the demo backends misbehave, from `DEMO_LATENCY_MS` and `DEMO_FAILURE_RATE`: read by
 * `npm run demo-backends` and by the demo backends `npm start` embeds alike.
 */
export interface DemoFaultEnv {
  latencyMs: number;
  failureRate: number;
}

/** The settings of `npm run demo-backends`, read from `DEMO_*` environment variables. */
export interface DemoEnv extends DemoFaultEnv {
  host: string;
  ragPort: number;
  examPort: number;
}

/** The longest injected latency: a minute is already far past any client's patience. */
const MAX_LATENCY_MS = 60_000;

/**
 * Reads and checks the standalone demo backends' settings. A bad value throws `CONFIG_INVALID`
 * naming the variable, so `main.ts` can stop with a message instead of serving something odd.
 *
 * | variable | default | allowed |
 * |---|---|---|
 * | `DEMO_HOST` | `127.0.0.1` | any host name or address |
 * | `DEMO_RAG_PORT` | `8101` | 0..65535 (0 = a free port) |
 * | `DEMO_EXAM_PORT` | `8102` | 0..65535, not the RAG port |
 * | `DEMO_LATENCY_MS` | `0` | 0..60000 |
 * | `DEMO_FAILURE_RATE` | `0` | 0..1 |
 *
 * @example
 * ```ts
 * readDemoEnv({ DEMO_RAG_PORT: '9101' }); // { host: '127.0.0.1', ragPort: 9101, examPort: 8102, latencyMs: 0, failureRate: 0 }
 * readDemoEnv({ DEMO_FAILURE_RATE: '2' }); // throws: DEMO_FAILURE_RATE must be a number from 0 to 1, got "2"
 * ```
 */
export function readDemoEnv(env: Env): DemoEnv {
  const host = (env.DEMO_HOST ?? DEFAULT_DEMO_HOST).trim();
  if (host === '') throw invalid('DEMO_HOST', 'must not be empty', env.DEMO_HOST ?? '');
  const ragPort = integer(env, 'DEMO_RAG_PORT', 8101, 65_535);
  const examPort = integer(env, 'DEMO_EXAM_PORT', 8102, 65_535);
  if (examPort !== 0 && examPort === ragPort) {
    throw invalid('DEMO_EXAM_PORT', 'must differ from DEMO_RAG_PORT', String(examPort));
  }
  return { host, ragPort, examPort, ...readDemoFaults(env) };
}

/**
 * Reads and checks `DEMO_LATENCY_MS` (0..60000, default 0) and `DEMO_FAILURE_RATE` (0..1, default 0).
 * `npm start` passes its environment here for the demo backends it embeds (see `startDemoBackends`'s
 * `env`), so a run can be slowed down enough to watch it, or cancel it, mid-way.
 *
 * @example
 * ```ts
 * readDemoFaults({ DEMO_LATENCY_MS: '2000' }); // { latencyMs: 2000, failureRate: 0 }
 * readDemoFaults({ DEMO_LATENCY_MS: '2s' }); // throws CONFIG_INVALID: DEMO_LATENCY_MS must be an integer from 0 to 60000, got "2s"
 * ```
 */
export function readDemoFaults(env: Env): DemoFaultEnv {
  return {
    latencyMs: integer(env, 'DEMO_LATENCY_MS', 0, MAX_LATENCY_MS),
    failureRate: fraction(env, 'DEMO_FAILURE_RATE', 0),
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/** A whole number from 0 to `max`; `fallback` when the variable is unset or empty. */
function integer(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw invalid(name, `must be an integer from 0 to ${max}`, raw);
  }
  return Number(raw);
}

/** A decimal number from 0 to 1 (`0.25`, `.25`, `1`); `fallback` when the variable is unset or empty. */
function fraction(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^(?:\d+\.?\d*|\.\d+)$/.test(raw) || Number(raw) > 1) {
    throw invalid(name, 'must be a number from 0 to 1', raw);
  }
  return Number(raw);
}

function invalid(name: string, rule: string, raw: string): TributaryError {
  return new TributaryError('CONFIG_INVALID', `${name} ${rule}, got ${JSON.stringify(raw)}`, { field: name });
}
