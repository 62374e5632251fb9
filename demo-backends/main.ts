/**
 * `npm run demo-backends`: the demo RAG and exam backends on their own, for running the platform
 * (or any client of the contracts in `plugins/contracts.ts`) against them. Settings come from
 * `DEMO_*` variables (see `demo-env.ts`); stops on SIGINT/SIGTERM.
 */
import { pino } from 'pino';
import { errorMessage } from '../core/errors.ts';
import { readDemoEnv } from './demo-env.ts';
import { startDemoBackends } from './start.ts';

async function main(): Promise<void> {
  const env = readDemoEnv(process.env);
  const logger = pino({ name: 'demo-backends' });
  const demo = await startDemoBackends({ ...env, logger });
  process.stdout.write(
    [
      '',
      'Demo backends running (bundled demo data, not a real RAG or exam service):',
      `  demo-rag   ${demo.ragUrl}   POST /search, POST /rag, GET /healthz`,
      `  demo-exam  ${demo.examUrl}   POST /api/generate, POST /api/grade, GET /healthz`,
      '',
      'Point the platform at them with:',
      `  RAG_URL=${demo.ragUrl} EXAM_URL=${demo.examUrl} npm start`,
      '',
    ].join('\n') + '\n',
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'demo backends stopping');
    demo.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'demo backends failed to stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // A bad DEMO_* value or a taken port: one line naming it, exit 1.
  process.stderr.write(`demo-backends: ${errorMessage(error)}\n`);
  process.exit(1);
});
