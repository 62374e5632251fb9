import ora, { type Ora } from 'ora';
import type { SessionEvent } from '../../core/events/event.ts';
import type { CliIo } from './cli-io.ts';
import type { Colors } from './colors.ts';
import { firstLine, renderEvent } from './render-event.ts';
import { tookText, type AcceptedRun, type RunProgress } from './run-progress.ts';
import { streamedText } from './streamed-text.ts';

export interface TaskListOptions {
  /** Force the spinner on or off (ora decides from the stream otherwise); tests force it. */
  isEnabled?: boolean;
}

/** The step in progress: its label and the tool calls made in it, shown under it once it ends. */
interface OpenStep {
  label: string;
  tools: Array<[symbol: string, text: string]>;
  failed: boolean;
}

/**
 * A followed run as a task list on a terminal: one line per finished step (✔, ✖ in red, ⚠ when
 * cancelled) with its tool calls under it, the step in progress behind an ora spinner naming the
 * tool it is calling, then the final assistant message. Streamed model text (`message.delta`) is
 * written as it comes, the spinner stopped meanwhile so it does not draw over the text.
 *
 * @example
 * ```ts
 * const progress = taskListProgress(io, createColors(io.stdout, io.env));
 * progress.accepted(run);
 * progress.event(stepEvent); // ⠋ start_retrieval  searching the course material › rag_search
 * ```
 */
export function taskListProgress(io: CliIo, colors: Colors, options: TaskListOptions = {}): RunProgress {
  const spinner: Ora = ora({
    stream: io.stdout as NodeJS.WritableStream,
    color: colors.enabled ? 'cyan' : false,
    // ora would put stdin in raw mode to hide keystrokes, so the terminal no longer turns Ctrl-C into
    // SIGINT; its stdin-discarder should re-raise it but never reads stdin (it is not resumed), so the
    // first Ctrl-C was lost. A cooked terminal delivers SIGINT itself, which followRun handles.
    discardStdin: false,
    ...(options.isEnabled === undefined ? {} : { isEnabled: options.isEnabled }),
  });
  const symbols = {
    ok: colors.green('✔'),
    fail: colors.red('✖'),
    warn: colors.yellow('⚠'),
    tool: colors.dim('  ↳'),
    toolFail: `  ${colors.red('✖')}`,
  };
  let step: OpenStep | undefined;
  let note = '';
  let spinAfterText = false;

  const stepText = () => (step?.label ?? 'starting') + (note ? colors.dim(`  (${note})`) : '');
  const streamed = streamedText((piece) => io.stdout.write(piece), {
    opened: () => {
      spinAfterText ||= spinner.isSpinning;
      spinner.stop();
    },
    closed: () => {
      if (spinAfterText) spinner.start(stepText());
      spinAfterText = false;
    },
    paint: colors.yellow,
  });
  /** Writes a finished line above the spinner, which keeps spinning if it was. */
  const persist = (symbol: string, text: string) => {
    streamed.breakLine();
    const spinning = spinner.isSpinning;
    spinner.stopAndPersist({ symbol, text });
    if (spinning) spinner.start(stepText());
  };
  const endStep = (symbol: string, suffix = '') => {
    if (!step) return;
    const ended = step;
    step = undefined;
    persist(ended.failed ? symbols.fail : symbol, `${ended.label}${suffix}`);
    for (const [toolSymbol, text] of ended.tools) persist(toolSymbol, text);
  };
  /** A tool call's line: under its step once the step ends, at once when no step is open. */
  const toolLine = (symbol: string, text: string) => {
    if (step) step.tools.push([symbol, text]);
    else persist(symbol, text);
  };
  const stepLabel = (event: SessionEvent) =>
    `${event.step ?? ''}${event.message && event.message !== event.step ? colors.dim(`  ${firstLine(event.message)}`) : ''}`;

  return {
    accepted(run: AcceptedRun) {
      io.stdout.write(`run ${run.id} in session ${run.session_id} (flow ${run.flow})\n`);
      spinner.start(run.status === 'queued' ? 'queued' : 'starting');
    },
    event(event: SessionEvent) {
      if (streamed.take(event)) return;
      switch (event.type) {
        case 'run.queued':
          spinner.text = `queued: ${event.message}`;
          return;
        case 'run.started':
          spinner.text = stepText();
          return;
        case 'step':
          endStep(symbols.ok);
          if (event.level === 'error') {
            persist(symbols.fail, colors.red(`${event.step ?? ''}  ${firstLine(event.message)}`));
            return;
          }
          step = { label: stepLabel(event), tools: [], failed: false };
          spinner.text = stepText();
          return;
        case 'tool.started':
        case 'tool.progress':
          spinner.text = `${stepText()} ${colors.dim(`› ${event.tool ?? ''}${event.type === 'tool.progress' ? `: ${firstLine(event.message)}` : ''}`)}`;
          return;
        case 'tool.completed':
          toolLine(symbols.tool, colors.dim(`${event.tool ?? ''}  ${firstLine(event.message)}`));
          spinner.text = stepText();
          return;
        case 'tool.failed':
          if (step) step.failed = true;
          toolLine(symbols.toolFail, colors.red(`${event.tool ?? ''}  ${firstLine(event.message)}`));
          spinner.text = stepText();
          return;
        case 'run.completed':
        case 'run.failed':
        case 'run.cancelled':
        case 'message':
        case 'session.updated':
        case 'checkpoint.saved':
          // The end is shown by finish(); messages come in full at the end; the rest is bookkeeping.
          return;
        default:
          if (event.level === 'warn' || event.level === 'error')
            persist(event.level === 'error' ? symbols.fail : symbols.warn, renderEvent(event, colors));
          else spinner.text = `${stepText()} ${colors.dim(`› ${firstLine(event.message)}`)}`;
      }
    },
    note(message) {
      note = message;
      spinner.text = stepText();
    },
    warn(message) {
      persist(symbols.warn, colors.yellow(message));
    },
    finish(end, finalMessage) {
      note = '';
      streamed.breakLine();
      const took = tookText(end);
      if (end.type === 'run.completed') {
        endStep(symbols.ok);
        spinner.stopAndPersist({ symbol: symbols.ok, text: colors.green(`run completed${took}`) });
      } else if (end.type === 'run.failed') {
        endStep(symbols.fail);
        spinner.stopAndPersist({ symbol: symbols.fail, text: colors.red(`${end.message}${took}`) });
      } else {
        endStep(symbols.warn, colors.yellow('  (cancelled)'));
        spinner.stopAndPersist({ symbol: symbols.warn, text: colors.yellow(end.message) });
      }
      if (finalMessage !== undefined) io.stdout.write(`\n${finalMessage}\n`);
    },
    stop() {
      streamed.breakLine();
      spinner.stop();
    },
  };
}
