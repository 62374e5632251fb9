import { Option, type Command } from 'commander';
import { unwrap } from '../api-error.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { connectApi } from '../connect-api.ts';
import { formatTable } from '../format-table.ts';
import { globalOptions } from '../global-options.ts';
import { integerIn } from '../parse-options.ts';

const STATES = ['active', 'idle', 'archived', 'expired'] as const;

interface LsOptions {
  user?: string;
  agent?: string;
  state?: (typeof STATES)[number];
  limit?: number;
  cursor?: string;
}

/**
 * `tributary sessions ls [--user u] [--agent a] [--state s] [--limit n] [--cursor c]`: one page of
 * sessions, newest first, as a table (`--json`: the page as the API gives it).
 *
 * @example
 * ```ts
 * sessionsLsCommand(sessions, ctx); // tributary sessions ls --user ann --state active
 * ```
 */
export function sessionsLsCommand(parent: Command, ctx: CliContext): Command {
  return parent
    .command('ls')
    .alias('list')
    .description('list sessions, newest first')
    .option('--user <id>', 'only the sessions of this user')
    .option('--agent <id>', 'only the sessions of this agent')
    .addOption(new Option('--state <state>', 'only sessions in this state').choices(STATES))
    .addOption(new Option('--limit <n>', 'at most this many (1 to 1000)').argParser(integerIn(1, 1000)))
    .option('--cursor <cursor>', 'the next page, as printed after the previous one')
    .action(async (options: LsOptions, command: Command) => {
      const globals = globalOptions(command);
      const page = unwrap(
        await connectApi(globals).GET('/v1/sessions', {
          params: {
            query: {
              user_id: options.user,
              agent_id: options.agent,
              state: options.state,
              limit: options.limit,
              cursor: options.cursor,
            },
          },
        }),
      );
      if (globals.json) return printJson(ctx.io, page);
      if (page.items.length === 0) {
        ctx.io.stdout.write('no sessions\n');
        return;
      }
      ctx.io.stdout.write(
        formatTable(
          ['ID', 'STATE', 'USER', 'AGENT', 'RUNS', 'LAST SEQ', 'LAST ACTIVE', 'NAME'],
          page.items.map((session) => [
            session.id,
            session.state,
            session.user_id,
            session.agent_id,
            session.run_count,
            session.last_seq,
            session.last_active_at,
            session.name,
          ]),
        ),
      );
      if (page.next_cursor)
        ctx.io.stderr.write(`more: tributary sessions ls --cursor ${page.next_cursor} (same filters)\n`);
    });
}
