import { Option, type Command } from 'commander';
import type { CliContext } from '../cli-context.ts';
import { integerIn } from '../parse-options.ts';

/** The process roles of `ROLE` (core/config.ts), offered by `--role`. */
const ROLES = ['all', 'api', 'worker'] as const;

interface ServeOptions {
  port?: number;
  host?: string;
  role?: (typeof ROLES)[number];
}

/**
 * `tributary serve [--port n] [--host h] [--role all|api|worker]`: runs the platform as `npm start`
 * does (settings from the environment, `--port` / `--host` / `--role` overriding PORT / HOST / ROLE)
 * until SIGINT or SIGTERM, then stops gracefully.
 *
 * @example
 * ```ts
 * serveCommand(program, ctx); // tributary serve --port 4000; STORE=redis tributary serve --role worker
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
    .addOption(
      new Option(
        '--role <role>',
        'what this process does: all, api (HTTP and sockets) or worker (runs); api and worker need STORE=redis (env ROLE, default all)',
      ).choices(ROLES),
    )
    .action(async (options: ServeOptions) => {
      // Loaded on demand: the platform (store, plugins, Koa) is only needed here.
      const { serve } = await import('../../../platform/serve.ts');
      ctx.exitCode = await serve({
        ...ctx.io.env,
        ...(options.port === undefined ? {} : { PORT: String(options.port) }),
        ...(options.host === undefined ? {} : { HOST: options.host }),
        ...(options.role === undefined ? {} : { ROLE: options.role }),
      });
    });
}
