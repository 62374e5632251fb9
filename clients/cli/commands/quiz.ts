import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import type { TributaryClient } from '../../api-client.ts';
import { CliError, unwrap } from '../api-error.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import type { CliIo, CliStream } from '../cli-io.ts';
import { connectApi } from '../connect-api.ts';
import { EXIT_OK } from '../exit-codes.ts';
import { globalOptions, type GlobalOptions } from '../global-options.ts';
import { integerIn } from '../parse-options.ts';
import {
  answerPrompt,
  gradeAnswers,
  gradeOfResult,
  quizOfResult,
  readAnswerLine,
  renderGrade,
  renderQuestion,
  type CliQuiz,
} from '../quiz-answers.ts';
import type { AcceptedRun, RunProgress } from '../run-progress.ts';

interface QuizOptions {
  session?: string;
  user?: string;
  questions?: number;
  kind?: string;
}

/** The grade flow needs a question; the answers go in `input.answers`. */
const GRADE_QUESTION = 'Grade my answers';

/**
 * `tributary quiz "<topic>" [--session id] [--user u] [--questions n] [--kind k]`: the learner's loop
 * in the terminal. Starts a `quiz` run and waits for it, asks each question (choices lettered; a
 * letter, number or the choice's text picks one; open questions take free text; Enter skips),
 * reading the answers line by line from stdin (so they can be piped), then starts a `grade` run in
 * the same session with `input.answers` and prints the score and the feedback by question. Exits 0
 * once graded; 1 (with `error: …`) when a run fails, the quiz run made no quiz, or nothing was
 * answered; 130 on Ctrl-C while a run goes on (which cancels it). With `--json`, the questions go to
 * stderr and stdout gets one JSON document: the runs, the answers sent and the grade.
 *
 * @example
 * ```ts
 * quizCommand(program, ctx); // printf 'b\nit completes when the notifier emits\n' | tributary quiz "RxJS operators"
 * ```
 */
export function quizCommand(parent: Command, ctx: CliContext): Command {
  return parent
    .command('quiz')
    .description(
      'take a quiz in the terminal: each question is asked here (stdin), then graded in the same session',
    )
    .argument('<topic>', 'what to be quizzed on, e.g. "RxJS operators"')
    .option('--session <id>', 'quiz in this session (default: a new session)')
    .addOption(new Option('--user <id>', 'the user owning the new session').conflicts('session'))
    .addOption(
      new Option('--questions <n>', 'how many questions (1-20; default 3)').argParser(integerIn(1, 20)),
    )
    .addOption(
      new Option('--kind <kind>', 'the kind of questions').choices(['multiple_choice', 'open', 'mixed']),
    )
    .action(async (topic: string, options: QuizOptions, command: Command) => {
      const globals = globalOptions(command);
      const { io } = ctx;
      const stdin = io.stdin;
      if (!stdin) throw new CliError('tributary quiz reads the answers from stdin, and there is none');
      const api = connectApi(globals);
      const input = {
        question: topic,
        ...(options.questions !== undefined ? { num_questions: options.questions } : {}),
        ...(options.kind ? { kind: options.kind } : {}),
      };
      const quizRun = options.session
        ? unwrap(
            await api.POST('/v1/sessions/{session_id}/runs', {
              params: { path: { session_id: options.session } },
              body: { flow: 'quiz', input },
            }),
          )
        : unwrap(
            await api.POST('/v1/runs', {
              body: { flow: 'quiz', input, ...(options.user ? { user_id: options.user } : {}) },
            }),
          );
      const quizEnd = await waitForRun(quizRun, api, globals, io);
      if (quizEnd.code !== EXIT_OK) throw runFailed('quiz', quizEnd.run, quizEnd.code);
      const quiz = quizOfResult(quizEnd.run.result);
      if (!quiz) throw new CliError(noQuiz(quizEnd.run));

      // With --json, stdout is for the one JSON document: the conversation goes to stderr.
      const out = globals.json ? io.stderr : io.stdout;
      // The session, to look at it afterwards (tributary sessions show) or quiz in it again (--session).
      out.write(`session ${quizRun.session_id}\n`);
      const answers = await ask(quiz, stdin, out, io.stderr);
      const given = gradeAnswers(quiz, answers);
      if (Object.keys(given).length === 0)
        throw new CliError('no answers given, so nothing to grade: answer at least one question');

      const gradeRun = unwrap(
        await api.POST('/v1/sessions/{session_id}/runs', {
          params: { path: { session_id: quizRun.session_id } },
          body: { flow: 'grade', input: { question: GRADE_QUESTION, answers: given } },
        }),
      );
      const gradeEnd = await waitForRun(gradeRun, api, globals, io);
      if (gradeEnd.code !== EXIT_OK) throw runFailed('grade', gradeEnd.run, gradeEnd.code);
      const grade = gradeOfResult(gradeEnd.run.result);
      if (!grade) throw new CliError(`the grade run ${gradeRun.id} completed without a score`);
      if (globals.json)
        return printJson(io, {
          session_id: quizRun.session_id,
          quiz_run_id: quizRun.id,
          grade_run_id: gradeRun.id,
          answers: given,
          ...grade,
        });
      io.stdout.write(`\n${renderGrade(grade, quiz)}\n`);
    });
}

interface EndedRun {
  id: string;
  status: string;
  result?: unknown;
  error?: { message: string; code: string } | null;
}

/**
 * Follows the run to its end (Ctrl-C cancels it, as `run --follow` does) and reads it back. On a
 * terminal with a spinner the steps show as a task list; else nothing but warnings (stdout keeps to
 * the quiz).
 */
async function waitForRun(
  run: AcceptedRun,
  api: TributaryClient,
  globals: GlobalOptions,
  io: CliIo,
): Promise<{ code: number; run: EndedRun }> {
  // Loaded on demand, as `run --follow` does: the Socket.IO client and the spinner.
  const [{ followRun }, { createRunProgress, spinnerTerminal }] = await Promise.all([
    import('../follow-run.ts'),
    import('../create-run-progress.ts'),
  ]);
  const shown = spinnerTerminal(io) && !globals.json ? createRunProgress(io, { json: false }) : null;
  const progress: RunProgress = shown
    ? // The run's final message is the quiz or grade as prose: the command prints its own.
      { ...shown, finish: (end) => shown.finish(end, undefined) }
    : quietProgress(io.stderr);
  const code = await followRun({ run, api, globals, io, progress });
  const ended = unwrap(
    await api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
      params: { path: { session_id: run.session_id, run_id: run.id } },
    }),
  );
  return { code, run: ended };
}

/** A progress that shows nothing but what goes wrong on the way (to stderr). */
function quietProgress(stderr: CliStream): RunProgress {
  return {
    accepted() {},
    event() {},
    note: (message) => stderr.write(`${message}\n`),
    warn: (message) => stderr.write(`warning: ${message}\n`),
    finish() {},
    stop() {},
  };
}

/**
 * Asks each question on `out` and reads one line per answer from `stdin`; a line that is no answer
 * is said so and asked again. At the end of the input the questions left are unanswered.
 */
async function ask(
  quiz: CliQuiz,
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  out: CliStream,
  stderr: CliStream,
): Promise<(string | undefined)[]> {
  const count = quiz.questions.length;
  out.write(`\nQuiz: ${quiz.topic} (${count} question${count === 1 ? '' : 's'})\n`);
  const lines = createInterface({ input: stdin, crlfDelay: Infinity });
  const next = lines[Symbol.asyncIterator]();
  const answers: (string | undefined)[] = [];
  try {
    for (const [index, question] of quiz.questions.entries()) {
      out.write(`\n${renderQuestion(question, index)}\n`);
      for (;;) {
        out.write(answerPrompt(question));
        const line = await next.next();
        if (line.done) {
          out.write('\n');
          const left = index + 1 === count ? `question ${count}` : `questions ${index + 1}-${count}`;
          stderr.write(`end of input: ${left} left unanswered\n`);
          return answers;
        }
        // Piped answers are not echoed by a terminal: write them after their prompt, as typed ones show.
        if (stdin.isTTY !== true) out.write(`${line.value}\n`);
        const read = readAnswerLine(question, line.value);
        if (read.ok) {
          answers[index] = read.answer;
          break;
        }
        out.write(`  ${read.error}\n`);
      }
    }
    return answers;
  } finally {
    lines.close();
  }
}

function runFailed(flow: string, run: EndedRun, code: number): CliError {
  const why = run.error ? `: ${run.error.message} (${run.error.code})` : '';
  return new CliError(`the ${flow} run ${run.id} ${run.status}${why}`, code);
}

function noQuiz(run: EndedRun): string {
  const topic = (run.result as { topic?: unknown } | null | undefined)?.topic;
  return typeof topic === 'string'
    ? `no quiz in the answer: the quiz run ${run.id} found nothing on "${topic}" to make a quiz from`
    : `no quiz in the answer of the quiz run ${run.id}`;
}
