import type { Command } from 'commander';
import { CliError, unwrap } from '../api-error.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { connectApi } from '../connect-api.ts';
import { globalOptions } from '../global-options.ts';

/**
 * `tributary cancel <session> [run]`: cancels the run (default: the session's active run) over HTTP.
 *
 * @example
 * ```ts
 * cancelCommand(program, ctx); // tributary cancel 3f0c… 7d2e…
 * ```
 */
export function cancelCommand(parent: Command, ctx: CliContext): Command {
  return parent
    .command('cancel')
    .description("cancel a run (default: the session's active run)")
    .argument('<session>', 'the session id')
    .argument('[run]', 'the run id (default: the active run)')
    .action(async (sessionId: string, runId: string | undefined, _options: unknown, command: Command) => {
      const globals = globalOptions(command);
      const api = connectApi(globals);
      let target = runId;
      if (!target) {
        const session = unwrap(
          await api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: sessionId } } }),
        );
        if (!session.active_run_id) throw new CliError(`session ${sessionId} has no active run to cancel`);
        target = session.active_run_id;
      }
      const run = unwrap(
        await api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
          params: { path: { session_id: sessionId, run_id: target } },
        }),
      );
      if (globals.json) return printJson(ctx.io, run);
      ctx.io.stdout.write(`run ${run.id} ${run.status}\n`);
    });
}
