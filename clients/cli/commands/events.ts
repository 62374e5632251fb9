import { Option, type Command } from 'commander';
import type { SessionEvent } from '../../../core/events/event.ts';
import { unwrap } from '../api-error.ts';
import type { CliContext } from '../cli-context.ts';
import { createColors } from '../colors.ts';
import { connectApi } from '../connect-api.ts';
import { EXIT_INTERRUPTED } from '../exit-codes.ts';
import { globalOptions } from '../global-options.ts';
import { integerIn } from '../parse-options.ts';
import { renderEvent } from '../render-event.ts';

interface EventsOptions {
  after: number;
  follow?: boolean;
}

/** Events per page when reading the stored log (the API's maximum). */
const PAGE = 1000;

/**
 * `tributary events <session> [--after n] [--follow]`: prints the session's stored events with `seq > n`,
 * page by page over `GET …/events`; with `--follow` goes on live over Socket.IO from the last seq printed
 * (no duplicate, no gap) until Ctrl-C. `--json` prints one event per line.
 *
 * @example
 * ```ts
 * eventsCommand(program, ctx); // tributary events 3f0c… --after 10 --follow
 * ```
 */
export function eventsCommand(parent: Command, ctx: CliContext): Command {
  return parent
    .command('events')
    .description("print a session's events (--follow: then live ones until Ctrl-C)")
    .argument('<session>', 'the session id')
    .addOption(
      new Option('--after <seq>', 'only events with a greater seq').argParser(integerIn(0)).default(0),
    )
    .option('--follow', 'after the stored events, print live ones until Ctrl-C')
    .action(async (sessionId: string, options: EventsOptions, command: Command) => {
      const globals = globalOptions(command);
      const { io } = ctx;
      const colors = createColors(io.stdout, io.env);
      const print = (event: SessionEvent) =>
        io.stdout.write(
          `${globals.json ? JSON.stringify(event) : renderEvent(event, colors, { withSeq: true })}\n`,
        );
      const api = connectApi(globals);
      let after = options.after;
      for (;;) {
        const page = unwrap(
          await api.GET('/v1/sessions/{session_id}/events', {
            params: { path: { session_id: sessionId }, query: { after, limit: PAGE } },
          }),
        );
        for (const event of page.items as SessionEvent[]) print(event);
        const last = page.items.at(-1);
        if (!last) break;
        after = last.seq;
        if (last.seq >= page.last_seq) break;
      }
      if (!options.follow) return;
      // Loaded on demand, like everything live: listing events needs no Socket.IO client.
      const { followSession, openSessionSocket } = await import('../session-socket.ts');
      const socket = await openSessionSocket(globals);
      try {
        await new Promise<void>((resolve, reject) => {
          const offSignal = io.onSignal('SIGINT', () => {
            offSignal();
            resolve();
          });
          followSession(socket, {
            sessionId,
            afterSeq: after,
            url: globals.url,
            onEvent: (event) => {
              after = event.seq;
              print(event);
            },
            onWarning: (message) =>
              io.stderr.write(`${createColors(io.stderr, io.env).yellow(`warning: ${message}`)}\n`),
          }).catch((error: unknown) => {
            offSignal();
            reject(error);
          });
        });
      } finally {
        socket.close();
      }
      ctx.exitCode = EXIT_INTERRUPTED;
    });
}
