import { beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import type { Exam } from '../../../plugins/contracts.ts';
import {
  ansi,
  cli,
  cliInProcess,
  CliProcess,
  closedPort,
  ESC,
  eventLines,
  FAKE_PLUGINS,
  QUIZ_STEPS,
  runStatus,
  storedEvents,
  usePlatform,
  UUID,
} from './cli.ts';

const QUESTION = 'Quiz me on RxJS operators';

describe('tributary run, against the real quiz flow and demo backends', () => {
  const gw = usePlatform({ PLUGINS: FAKE_PLUGINS });

  it('run --follow shows the six quiz steps and tool calls as they happen, then the quiz, and exits 0', async () => {
    const { code, stdout, stderr } = await cli(['--url', gw().url, 'run', QUESTION, '--follow']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [first] = stdout.split('\n');
    expect(first).toMatch(
      // No --flow: DEFAULT_FLOW=auto, whose planner picks the quiz for this question.
      new RegExp(`^run (${UUID.source}) running in session (${UUID.source}) \\(flow auto\\)$`),
    );
    expect(eventLines(stdout, 'step').map((columns) => columns[1])).toEqual(QUIZ_STEPS);
    for (const tool of ['planner', 'rag_search', 'generate_exam'])
      expect(eventLines(stdout, 'tool.completed').map((columns) => columns[1])).toContain(tool);
    // The quiz comes in full after the run's end, not only as a one-line message event.
    const end = stdout.indexOf('run.completed');
    expect(end).toBeGreaterThan(stdout.indexOf('final_answer'));
    const quiz = stdout.slice(end);
    expect(quiz).toMatch(/\nQuiz: RxJS operators \(\d+ questions?\)\n\n1\. /);
    expect(quiz).toContain('Answer the questions and ask me to grade them.');
    // No ANSI escapes when piped (and NO_COLOR is set).
    expect(stdout).not.toContain(`${ESC}[`);

    const [, runId, sessionId] = first!.match(
      new RegExp(`^run (${UUID.source}) running in session (${UUID.source})`),
    )!;
    expect(await runStatus(gw().api, sessionId!, runId!)).toBe('completed');
  });

  it('quiz, then "grade my answers: 1 b; …" in the same session, as the quiz message invites: the score', async () => {
    const quiz = await cli(['--url', gw().url, 'run', QUESTION, '--follow']);
    expect(quiz.code).toBe(0);
    const sessionId = quiz.stdout.match(new RegExp(`in session (${UUID.source})`))![1]!;
    // The learner answers from the quiz as printed: the letter next to the right option, own words.
    const { data: session } = await gw().api.GET('/v1/sessions/{session_id}', {
      params: { path: { session_id: sessionId } },
    });
    const exam = (session!.data as { last_exam: Exam }).last_exam;
    const answers = exam.questions.map((question, index) => {
      if (question.kind === 'open') return `${index + 1}: it is about ${question.answer}`;
      const letter = String.fromCharCode(97 + question.choices!.indexOf(question.answer));
      expect(quiz.stdout).toContain(`   ${letter}) ${question.answer}\n`);
      return `${index + 1}: ${letter}`;
    });

    // No --flow: the planner reads "grade" and the answers come from the question itself.
    const graded = await cli([
      '--url',
      gw().url,
      'run',
      `grade my answers: ${answers.join('; ')}`,
      '--session',
      sessionId,
      '--follow',
    ]);
    expect(graded.code).toBe(0);
    const n = exam.questions.length;
    expect(eventLines(graded.stdout, 'step').map((columns) => columns[1])).toEqual([
      'intent_determined',
      'start_grading',
      'grading_done',
      'final_answer',
    ]);
    expect(graded.stdout).toMatch(new RegExp(`\nScore: ${n} / ${n}\n\n✓ 1\\. `));
  });

  it('--json --follow prints one JSON event per line: the run, in seq order, ending with run.completed', async () => {
    const { code, stdout } = await cli(['run', QUESTION, '--follow', '--json'], {
      env: { TRIBUTARY_URL: gw().url },
    });
    expect(code).toBe(0);
    const events = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as SessionEvent);
    expect(events[0]!.type).toBe('run.started');
    expect(events.at(-1)!.type).toBe('run.completed');
    expect(new Set(events.map((event) => event.run_id)).size).toBe(1);
    const seqs = events.map((event) => event.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(events.filter((event) => event.type === 'step').map((event) => event.step)).toEqual(QUIZ_STEPS);
    expect(
      events.find((event) => event.type === 'message' && event.meta.role === 'assistant')!.message,
    ).toMatch(/^Quiz: RxJS operators/);
    // Exactly what the gateway stored for the run: nothing lost, nothing repeated.
    const stored = (await storedEvents(gw().api, events[0]!.session_id)).filter(
      (event) => event.run_id === events[0]!.run_id,
    );
    expect(events).toEqual(stored);
  });

  it('run without --follow prints the run and session ids; --session, --flow and --input shape the run', async () => {
    const created = await cli(['--url', gw().url, 'run', 'what is mergeMap?', '--flow', 'ask']);
    expect(created.code).toBe(0);
    const sessionId = created.stdout.match(new RegExp(`^session  (${UUID.source})$`, 'm'))![1]!;
    expect(created.stdout).toMatch(
      new RegExp(`^run      ${UUID.source} \\((running|queued), flow ask\\)$`, 'm'),
    );

    const again = await cli([
      '--url',
      gw().url,
      '--json',
      'run',
      'and concatMap?',
      '--session',
      sessionId,
      '--flow',
      'ask',
      '--input',
      '{"delayMs": 5, "question": "overridden by the argument"}',
    ]);
    expect(again.code).toBe(0);
    const run = JSON.parse(again.stdout) as { id: string; session_id: string; flow: string; input: unknown };
    expect(run).toMatchObject({
      session_id: sessionId,
      flow: 'ask',
      input: { question: 'and concatMap?', delayMs: 5 },
    });
    expect(await runStatus(gw().api, sessionId, run.id)).toBe('completed');
  });

  it('Ctrl-C while following cancels the run, waits for run.cancelled and exits 130', async () => {
    const follow = new CliProcess([
      '--url',
      gw().url,
      'run',
      'a slow question',
      '--flow',
      'ask',
      '--input',
      '{"delayMs": 20000}',
      '--follow',
    ]);
    await follow.waitFor(/^tool\.started\s+lookup/m);
    follow.kill('SIGINT');
    const { code, stdout, stderr } = await follow.exited;
    expect(code).toBe(130);
    expect(stderr).toContain('cancelling');
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^run\.cancelled\s+run cancelled/);
    const [, runId, sessionId] = stdout.match(
      new RegExp(`^run (${UUID.source}) running in session (${UUID.source})`),
    )!;
    expect(await runStatus(gw().api, sessionId!, runId!)).toBe('cancelled');
    const last = (await storedEvents(gw().api, sessionId!)).at(-1)!;
    expect(last).toMatchObject({ type: 'run.cancelled', run_id: runId });
  });

  it('--input must be a JSON object: a usage error, no run started', async () => {
    const { code, stderr } = await cliInProcess(['--url', gw().url, 'run', 'x', '--input', '[1]']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/option '--input <json>' argument '\[1\]' is invalid\. must be a JSON object/);
  });

  it('--user and --session together: a usage error', async () => {
    const { code, stderr } = await cliInProcess([
      '--url',
      gw().url,
      'run',
      'x',
      '--user',
      'ann',
      '--session',
      'abc',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot be used with/);
  });
});

describe('tributary run when a backend is down', () => {
  // Both backends on a port nothing listens on: every tool call is refused.
  let deadUrl = '';
  beforeAll(async () => {
    deadUrl = `http://127.0.0.1:${await closedPort()}`;
  });
  const gw = usePlatform(() => ({ RAG_URL: deadUrl, EXAM_URL: deadUrl }));

  it('prints the failed tool, the assistant message saying what failed, and exits 1', async () => {
    const { code, stdout } = await cli(['--url', gw().url, 'run', QUESTION, '--follow']);
    expect(code).toBe(1);
    expect(eventLines(stdout, 'tool.failed').map((columns) => columns[1])).toEqual(['rag_search']);
    expect(eventLines(stdout, 'step').map((columns) => columns[1])).toEqual([
      'intent_determined',
      'start_retrieval',
      'tool_error',
    ]);
    expect(stdout).toMatch(/^run\.failed\s+run failed: .*rag_search/m);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^Sorry, I could not search the course material: .*rag_search/,
    );
  });

  it('colours errors red with FORCE_COLOR, and not at all with NO_COLOR', async () => {
    const colored = await cli(['--url', gw().url, 'run', QUESTION, '--follow'], {
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    expect(colored.code).toBe(1);
    expect(colored.stdout).toMatch(ansi('{ESC}\\[31mrun\\.failed\\s+run failed: [^\\n]*{ESC}\\[39m'));
    expect(colored.stdout).toMatch(ansi('{ESC}\\[31mtool\\.failed\\s+rag_search'));
    const plain = await cli(['--url', gw().url, 'run', QUESTION, '--follow'], {
      env: { NO_COLOR: '1', FORCE_COLOR: '1' },
    });
    expect(plain.code).toBe(1);
    expect(plain.stdout).not.toContain(`${ESC}[`);
  });
});
