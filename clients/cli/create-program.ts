import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { CliContext } from './cli-context.ts';
import { createColors } from './colors.ts';
import { cancelCommand } from './commands/cancel.ts';
import { eventsCommand } from './commands/events.ts';
import { pluginCommand } from './commands/plugin.ts';
import { quizCommand } from './commands/quiz.ts';
import { runCommand } from './commands/run.ts';
import { serveCommand } from './commands/serve.ts';
import { sessionsCommand } from './commands/sessions.ts';
import { addGlobalOptions } from './global-options.ts';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

/**
 * The `tributary` command tree (commander). Commands set `ctx.exitCode`; usage errors and `--help`
 * throw commander's `CommanderError` (`exitOverride`) instead of exiting, so {@link runCli} decides.
 *
 * @example
 * ```ts
 * const ctx = { io: processIo(), exitCode: 0 };
 * await createProgram(ctx).parseAsync(['sessions', 'ls', '--json'], { from: 'user' });
 * ```
 */
export function createProgram(ctx: CliContext): Command {
  const { io } = ctx;
  const red = createColors(io.stderr, io.env).red;
  const program = new Command('tributary')
    .description(
      'Tributary from the command line: run flows, follow sessions live, manage sessions, scaffold plugins.',
    )
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(red(text)),
    })
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError()
    .showHelpAfterError('(add --help for usage)');
  // Settings above are copied to each subcommand made with .command(), so configure before adding them.
  addGlobalOptions(program);
  serveCommand(program, ctx);
  runCommand(program, ctx);
  quizCommand(program, ctx);
  sessionsCommand(program, ctx);
  eventsCommand(program, ctx);
  cancelCommand(program, ctx);
  pluginCommand(program, ctx);
  return program;
}
