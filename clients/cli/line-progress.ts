import type { SessionEvent } from '../../core/events/event.ts';
import type { CliIo } from './cli-io.ts';
import type { Colors } from './colors.ts';
import { eventColumns, renderEvent } from './render-event.ts';
import type { AcceptedRun, RunProgress } from './run-progress.ts';
import { streamedText } from './streamed-text.ts';

/**
 * A followed run as plain lines on stdout (one per event, errors in red), or with `json` one JSON
 * event per line; notes and warnings go to stderr so stdout stays parseable. Streamed model text
 * (`message.delta`) is written piece by piece after one `message  assistant` lead, and its closing
 * `message` only ends that paragraph.
 *
 * @example
 * ```ts
 * const progress = lineProgress(io, createColors(io.stdout, io.env), { json: true });
 * progress.event(event); // {"id":"…","seq":3,"type":"step",…}
 * ```
 */
export function lineProgress(io: CliIo, colors: Colors, options: { json: boolean }): RunProgress {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const err = (line: string) => io.stderr.write(`${line}\n`);
  const text = streamedText((piece) => io.stdout.write(piece), {
    // The columns of a `message` line, so the text starts where a message's text does.
    lead: (event) => eventColumns('message', String(event.meta.role ?? 'assistant')),
    paint: colors.yellow,
  });
  return {
    accepted(run: AcceptedRun) {
      if (!options.json) out(`run ${run.id} ${run.status} in session ${run.session_id} (flow ${run.flow})`);
    },
    event(event: SessionEvent) {
      if (options.json) out(JSON.stringify(event));
      else if (!text.take(event)) {
        text.breakLine();
        out(renderEvent(event, colors));
      }
    },
    note(message) {
      err(message);
    },
    warn(message) {
      err(colors.yellow(`warning: ${message}`));
    },
    finish(_end, finalMessage) {
      text.breakLine();
      if (!options.json && finalMessage !== undefined) out(`\n${finalMessage}`);
    },
    stop() {},
  };
}
