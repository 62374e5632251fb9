/**
 * `npm start`: boots config, the store (SQLite by default) and the core runtime, and stops
 * gracefully on SIGINT/SIGTERM. The HTTP gateway, Socket.IO bridge and dashboard plug in here
 * as they land (see the README's roadmap).
 */
import { pino } from 'pino';
import { errorMessage, isTributaryError, loadConfig, openStore, Runtime } from '../core/index.ts';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.LOG_LEVEL });
  const store = await openStore(config);
  const runtime = await Runtime.start({ config, store, logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    runtime.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  logger.info(
    {
      store: store.kind,
      path: config.STORE === 'sqlite' ? config.SQLITE_PATH : undefined,
      concurrency: config.CONCURRENCY_LIMIT,
    },
    'tributary core running; press Ctrl-C to stop',
  );
}

main().catch((error: unknown) => {
  // A bad setting or an unreadable store stops the process with a message naming what is wrong.
  const code = isTributaryError(error) ? `${error.code}: ` : '';
  process.stderr.write(`tributary: ${code}${errorMessage(error)}\n`);
  process.exit(1);
});
