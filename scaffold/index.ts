/**
 * The plugin scaffold: `scaffoldPlugin` writes a new tool plugin folder with its test, in the shape of the
 * worked example of docs/plugins.md; `pluginNewCommand` is `npm run plugin:new` (and `tributary plugin new`).
 */
export { builtinPluginNames, assertScaffoldName } from './scaffold-name.ts';
export { pluginNewCommand, PLUGIN_NEW_USAGE } from './plugin-new-command.ts';
export type { CommandIo, TextSink } from './plugin-new-command.ts';
export { scaffoldPlugin } from './scaffold-plugin.ts';
export type { ScaffoldOptions, ScaffoldResult } from './scaffold-plugin.ts';
