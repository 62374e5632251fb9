import type { Command } from 'commander';
import { unwrap } from '../api-error.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { connectApi } from '../connect-api.ts';
import { formatTable } from '../format-table.ts';
import { globalOptions } from '../global-options.ts';

/**
 * `tributary sessions show <id>`: the session's fields, then its runs as a table
 * (`--json`: the session as the API gives it).
 *
 * @example
 * ```ts
 * sessionsShowCommand(sessions, ctx); // tributary sessions show 3f0c…
 * ```
 */
export function sessionsShowCommand(parent: Command, ctx: CliContext): Command {
  return parent
    .command('show')
    .description('show a session and its runs')
    .argument('<id>', 'the session id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const globals = globalOptions(command);
      const api = connectApi(globals);
      const session = unwrap(
        await api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } }),
      );
      if (globals.json) return printJson(ctx.io, session);
      const runs = unwrap(
        await api.GET('/v1/sessions/{session_id}/runs', { params: { path: { session_id: id } } }),
      );
      const fields: Array<[string, unknown]> = [
        ['id', session.id],
        ['name', session.name],
        ['state', session.state],
        ['user', session.user_id],
        ['agent', session.agent_id],
        ['created', session.created_at],
        ['last active', session.last_active_at],
        ['expires', session.expires_at],
        ['runs', session.run_count],
        ['active run', session.active_run_id],
        ['last seq', session.last_seq],
        ['trace', session.trace_id],
        ['usage', `${session.usage.tokens_in} tokens in, ${session.usage.tokens_out} out`],
        ['metadata', JSON.stringify(session.metadata)],
        ['data keys', Object.keys(session.data).join(', ')],
      ];
      const width = Math.max(...fields.map(([key]) => key.length));
      ctx.io.stdout.write(
        fields
          .map(
            ([key, value]) =>
              `${key.padEnd(width)}  ${value == null || value === '' ? '-' : String(value)}\n`,
          )
          .join(''),
      );
      if (runs.items.length === 0) return;
      ctx.io.stdout.write(
        `\n${formatTable(
          ['RUN', 'FLOW', 'STATUS', 'CREATED', 'DURATION', 'ERROR'],
          runs.items.map((run) => [
            run.id,
            run.flow,
            run.status,
            run.created_at,
            run.duration_ms == null ? null : `${run.duration_ms} ms`,
            run.error ? `${run.error.message} (${run.error.code})` : null,
          ]),
        )}`,
      );
    });
}
