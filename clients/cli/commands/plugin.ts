import type { Command } from 'commander';
import type { CliContext } from '../cli-context.ts';

/**
 * `tributary plugin new <name> [--dir d]`: the plugin scaffold of `npm run plugin:new`
 * (`pluginNewCommand`), writing relative to the working directory.
 *
 * @example
 * ```ts
 * pluginCommand(program, ctx); // tributary plugin new stock_quote --dir examples/plugins
 * ```
 */
export function pluginCommand(parent: Command, ctx: CliContext): Command {
  const plugin = parent.command('plugin').description('work on tool plugins');
  plugin
    .command('new')
    .description('scaffold a tool plugin (index.ts and its test) in <dir>/<name>')
    .argument('<name>', 'the tool name, snake_case, e.g. stock_quote')
    .option('--dir <dir>', 'the parent folder (default: plugins)')
    .action(async (name: string, options: { dir?: string }) => {
      // Loaded on demand: the scaffold pulls in the core, which the other commands do not need.
      const { pluginNewCommand } = await import('../../../scaffold/plugin-new-command.ts');
      ctx.exitCode = await pluginNewCommand(
        [name, ...(options.dir ? ['--dir', options.dir] : [])],
        ctx.io,
        ctx.io.cwd,
      );
    });
  return plugin;
}
