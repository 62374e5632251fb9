/**
 * `npm run plugin:new -- <name> [--dir <dir>]`: writes a new plugin folder with its test.
 * See {@link pluginNewCommand}; the guide is docs/plugins.md.
 */
import { pluginNewCommand } from './plugin-new-command.ts';

process.exitCode = await pluginNewCommand(process.argv.slice(2));
