import { Option, type Command } from 'commander';
import type { CliContext } from '../cli-context.ts';
import { integerIn } from '../parse-options.ts';

interface ServeOptions {
  port?: number;
  host?: string;
}

/**
 * `tributary serve [--port n] [--host h]`: runs the platform as `npm start` does (settings from the
 * environment, `--port` / `--host` overriding PORT / HOST) until SIGINT or SIGTERM, then stops gracefully.
 *
 * @example
 * ```ts
 * serveCommand(program, ctx); // tributary serve --port 4000
 * ```
 */
export function serveCommand(parent: Command, ctx: CliContext): Command {
  return parent
    .command('serve')
    .description('run the platform (like npm start) until Ctrl-C')
    .addOption(
      new Option('--port <n>', 'listen on this port (env PORT, default 3000)').argParser(integerIn(0, 65535)),
    )
    .option('--host <host>', 'listen on this address (env HOST, default 127.0.0.1)')
    .action(async (options: ServeOptions) => {
      // Loaded on demand: the platform (store, plugins, Koa) is only needed here.
      const { serve } = await import('../../../platform/serve.ts');
      ctx.exitCode = await serve({
        ...ctx.io.env,
        ...(options.port === undefined ? {} : { PORT: String(options.port) }),
        ...(options.host === undefined ? {} : { HOST: options.host }),
      });
    });
}
