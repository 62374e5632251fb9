import type { Command } from 'commander';
import type { CliContext } from '../cli-context.ts';
import { sessionsLsCommand } from './sessions-ls.ts';
import { sessionsRmCommand } from './sessions-rm.ts';
import { sessionsShowCommand } from './sessions-show.ts';

/**
 * `tributary sessions ls|show|rm`.
 *
 * @example
 * ```ts
 * sessionsCommand(program, ctx); // tributary sessions ls --state active
 * ```
 */
export function sessionsCommand(parent: Command, ctx: CliContext): Command {
  const sessions = parent.command('sessions').description('list, show and delete sessions');
  sessionsLsCommand(sessions, ctx);
  sessionsShowCommand(sessions, ctx);
  sessionsRmCommand(sessions, ctx);
  return sessions;
}
