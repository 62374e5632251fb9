import type { Command } from 'commander';
import { ApiError, unwrap } from '../api-error.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { connectApi } from '../connect-api.ts';
import { globalOptions } from '../global-options.ts';
import { openSessionSocket, SOCKET_TIMEOUT_MS, withTimeout } from '../session-socket.ts';

/**
 * `tributary cancel <session> [run]`: cancels the run over HTTP; without a run, the session's active
 * run as core chooses it (the socket `cancel {session_id}`, the one rule every transport uses).
 * Either way it answers once `run.cancelled` is stored.
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
      const target = runId ?? (await cancelActive(globals, sessionId));
      const run = runId
        ? unwrap(
            await api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
              params: { path: { session_id: sessionId, run_id: target } },
            }),
          )
        : unwrap(
            await api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
              params: { path: { session_id: sessionId, run_id: target } },
            }),
          );
      if (globals.json) return printJson(ctx.io, run);
      ctx.io.stdout.write(`run ${run.id} ${run.status}\n`);
    });
}

/** Cancels the session's active run through the socket; resolves with the run's id. */
async function cancelActive(globals: ReturnType<typeof globalOptions>, sessionId: string): Promise<string> {
  const socket = await openSessionSocket(globals);
  try {
    const ack = await withTimeout(
      socket.emitWithAck('cancel', { session_id: sessionId }),
      SOCKET_TIMEOUT_MS,
      'cancel',
      globals.url,
    );
    if (!ack.ok) throw new ApiError(ack.error.message, ack.error.code);
    return ack.run_id;
  } finally {
    socket.close();
  }
}
