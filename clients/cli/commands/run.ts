import { Option, type Command } from 'commander';
import { unwrap } from '../api-error.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { connectApi } from '../connect-api.ts';
import { globalOptions } from '../global-options.ts';
import { parseJsonObject } from '../parse-options.ts';

interface RunOptions {
  flow?: string;
  session?: string;
  input?: Record<string, unknown>;
  user?: string;
  follow?: boolean;
}

/**
 * `tributary run "<question>" [--flow f] [--session id] [--input json] [--user u] [--follow]`: starts a run
 * (`POST /v1/runs`, or `POST /v1/sessions/{id}/runs` with `--session`) and prints its run and session ids;
 * with `--follow` shows it live until it ends (see {@link followRun}).
 *
 * @example
 * ```ts
 * runCommand(program, ctx); // tributary run "Quiz me on RxJS operators" --follow
 * ```
 */
export function runCommand(parent: Command, ctx: CliContext): Command {
  return parent
    .command('run')
    .description(
      "start a run (by default the flow the planner's intent picks: quiz, answer or grade) and print its run and session ids",
    )
    .argument('<question>', 'what to ask, e.g. "Quiz me on RxJS operators"')
    .option('--flow <name>', "the flow to run (default: the gateway's DEFAULT_FLOW, auto)")
    .option('--session <id>', 'run in this session (default: a new session)')
    .addOption(
      new Option('--input <json>', 'more input fields as a JSON object, merged with the question').argParser(
        parseJsonObject,
      ),
    )
    .addOption(new Option('--user <id>', 'the user owning the new session').conflicts('session'))
    .option('--follow', 'show the run live until it ends; Ctrl-C cancels it')
    .action(async (question: string, options: RunOptions, command: Command) => {
      const globals = globalOptions(command);
      const api = connectApi(globals);
      const input = { ...options.input, question };
      const run = options.session
        ? unwrap(
            await api.POST('/v1/sessions/{session_id}/runs', {
              params: { path: { session_id: options.session } },
              body: { input, ...(options.flow ? { flow: options.flow } : {}) },
            }),
          )
        : unwrap(
            await api.POST('/v1/runs', {
              body: {
                input,
                ...(options.flow ? { flow: options.flow } : {}),
                ...(options.user ? { user_id: options.user } : {}),
              },
            }),
          );
      if (options.follow) {
        // Loaded on demand: the Socket.IO client and the spinner only matter when following.
        const [{ followRun }, { createRunProgress }] = await Promise.all([
          import('../follow-run.ts'),
          import('../create-run-progress.ts'),
        ]);
        const progress = createRunProgress(ctx.io, { json: globals.json });
        ctx.exitCode = await followRun({ run, api, globals, io: ctx.io, progress });
        return;
      }
      if (globals.json) return printJson(ctx.io, run);
      ctx.io.stdout.write(
        `run      ${run.id} (${run.status}, flow ${run.flow})\nsession  ${run.session_id}\n` +
          `follow it with: tributary events ${run.session_id} --follow\n`,
      );
    });
}
