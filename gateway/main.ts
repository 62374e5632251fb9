/**
 * `npm start`: boots the platform (see {@link startPlatform}), prints its URLs and stops
 * gracefully on SIGINT/SIGTERM without losing stored events.
 */
import { errorMessage, isTributaryError } from '../core/index.ts';
import { startPlatform } from './platform.ts';

async function main(): Promise<void> {
  const platform = await startPlatform(process.env);
  const { logger, url } = platform;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    platform.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const { config } = platform;
  logger.info(
    {
      url,
      api_docs: `${url}/docs`,
      store: platform.runtime.store.kind,
      path: config.STORE === 'sqlite' ? config.SQLITE_PATH : undefined,
      concurrency: config.CONCURRENCY_LIMIT,
    },
    `tributary running at ${url} (API reference: ${url}/docs); press Ctrl-C to stop`,
  );
}

main().catch((error: unknown) => {
  // A bad setting, plugin or store stops the process with a message naming what is wrong.
  const code = isTributaryError(error) ? `${error.code}: ` : '';
  process.stderr.write(`tributary: ${code}${errorMessage(error)}\n`);
  process.exit(1);
});
