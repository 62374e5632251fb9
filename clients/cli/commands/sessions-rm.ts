import type { Command } from 'commander';
import { unwrap } from '../api-error.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { connectApi } from '../connect-api.ts';
import { globalOptions } from '../global-options.ts';

/**
 * `tributary sessions rm <id>`: deletes a session (its active run is cancelled first).
 *
 * @example
 * ```ts
 * sessionsRmCommand(sessions, ctx); // tributary sessions rm 3f0c…
 * ```
 */
export function sessionsRmCommand(parent: Command, ctx: CliContext): Command {
  return parent
    .command('rm')
    .alias('delete')
    .description('delete a session (cancels its active run)')
    .argument('<id>', 'the session id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const globals = globalOptions(command);
      unwrap(
        await connectApi(globals).DELETE('/v1/sessions/{session_id}', {
          params: { path: { session_id: id } },
        }),
      );
      if (globals.json) return printJson(ctx.io, { deleted: id });
      ctx.io.stdout.write(`deleted session ${id}\n`);
    });
}
