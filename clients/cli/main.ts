/**
 * The `tributary` CLI (bin/tributary.mjs loads this file through tsx). See {@link runCli}.
 */
import { runCli } from './run-cli.ts';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// A handle left open (a keep-alive socket, a server still closing) must not keep a finished command alive.
setTimeout(() => process.exit(code), 2_000).unref();
