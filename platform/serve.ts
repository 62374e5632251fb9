import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { redactUrl } from '../core/redact-url.ts';
import { startPlatform, type Platform } from './platform.ts';

/**
 * What `npm start` and `tributary serve` do: boot the platform, log where it listens, and on the
 * first SIGINT or SIGTERM stop gracefully (no new runs, running ones drained or cancelled, every
 * event stored, store closed). Resolves to the exit code once stopped: 0, or 1 when closing failed.
 *
 * @example
 * ```ts
 * process.exitCode = await serve(process.env);
 * ```
 */
export async function serve(env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const platform = await startPlatform(withDotEnv(env));
  const stopped = stopOnSignals(platform);
  const { config, logger, url } = platform;
  // A worker serves only its health probes (and /metrics): no API reference to point to.
  const worker = config.ROLE === 'worker';
  logger.info(
    {
      url,
      role: config.ROLE,
      api_docs: worker ? undefined : `${url}/docs`,
      store: platform.runtime.storeKind,
      path: config.STORE === 'sqlite' ? config.SQLITE_PATH : undefined,
      // The URL may carry a password: logged without it.
      redis_url: config.STORE === 'redis' ? redactUrl(config.REDIS_URL) : undefined,
      redis_prefix: config.STORE === 'redis' ? config.REDIS_PREFIX : undefined,
      concurrency: config.CONCURRENCY_LIMIT,
    },
    worker
      ? `tributary running at ${url} as a worker (health: ${url}/healthz, ${url}/readyz); press Ctrl-C to stop`
      : `tributary running at ${url}${config.ROLE === 'api' ? ' as an api node' : ''} (API reference: ${url}/docs); press Ctrl-C to stop`,
  );
  return stopped;
}

/**
 * `env` over the settings of `.env` in the working directory (the package root under `npm start`),
 * when there is one: what is set in the environment wins, as with `node --env-file`.
 *
 * @example
 * ```ts
 * withDotEnv(process.env).PORT; // '4000' from .env unless PORT is exported
 * ```
 */
export function withDotEnv(
  env: Readonly<Record<string, string | undefined>>,
  path = resolve('.env'),
): Record<string, string | undefined> {
  if (!existsSync(path)) return { ...env };
  return { ...parseEnv(readFileSync(path, 'utf8')), ...env };
}

/** Closes the platform on the first of `signals`; later signals are ignored while it closes. */
export function stopOnSignals(
  platform: Pick<Platform, 'close' | 'logger'>,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): Promise<number> {
  const { logger } = platform;
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      platform.close().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    for (const signal of signals) process.on(signal, stop);
  });
}
