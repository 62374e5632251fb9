import { beforeAll, describe, expect, it } from 'vitest';
import type { TributaryClient } from '../../../clients/api-client.ts';
import type { Exam } from '../../../plugins/contracts.ts';
import { cli, CliProcess, closedPort, usePlatform, UUID } from './cli.ts';

/** `tributary quiz` as a child process against a real platform and demo backends, answers on stdin. */

const SESSION_LINE = new RegExp(`^session (${UUID.source})$`, 'm');

async function sessionData(api: TributaryClient, sessionId: string) {
  const { data } = await api.GET('/v1/sessions/{session_id}', {
    params: { path: { session_id: sessionId } },
  });
  return data!.data as { last_exam: Exam; last_grade?: { score: number; max_score: number } };
}

async function gradeRunInputs(api: TributaryClient, sessionId: string): Promise<unknown[]> {
  const { data } = await api.GET('/v1/sessions/{session_id}/runs', {
    params: { path: { session_id: sessionId } },
  });
  return data!.items.filter((run) => run.flow === 'grade').map((run) => run.input);
}

describe('tributary quiz', () => {
  const gw = usePlatform();

  it('asks each question, takes the answers piped on stdin (asking again after a bad one), grades them and prints the score', async () => {
    const quiz = new CliProcess(['--url', gw().url, 'quiz', 'RxJS operators']);
    await quiz.waitFor(/Your answer/, 15_000);
    const sessionId = SESSION_LINE.exec(quiz.stdout)![1]!;
    const exam = (await sessionData(gw().api, sessionId)).last_exam;
    expect(exam.questions.some((question) => question.kind === 'open')).toBe(true);
    // The right answers as a learner types them: a letter (after a letter the quiz does not have)
    // for the first multiple choice question, the choice's text in capitals for the others, key
    // words for open questions.
    const firstChoice = exam.questions.findIndex((question) => question.kind === 'multiple_choice');
    const lines = exam.questions.flatMap((question, index) => {
      if (question.kind === 'open') return [`it is about ${question.answer}`];
      const letter = String.fromCharCode(97 + question.choices!.indexOf(question.answer));
      expect(quiz.stdout).toContain(`   ${letter}) ${question.answer}\n`);
      return index === firstChoice ? ['z', letter] : [question.answer.toUpperCase()];
    });
    quiz.type(`${lines.join('\n')}\n`);
    const { code, stdout, stderr } = await quiz.exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);

    const n = exam.questions.length;
    expect(stdout).toContain(`Quiz: RxJS operators (${n} questions)`);
    for (const [index, question] of exam.questions.entries())
      expect(stdout).toContain(`\n${index + 1}. ${question.prompt}\n`);
    expect(stdout).toMatch(/Your answer \(a-[a-z], Enter to skip\): z\n {2}pick one of a-[a-z]/);
    const result = stdout
      .slice(stdout.lastIndexOf('\nScore: ') + 1)
      .trimEnd()
      .split('\n');
    expect(result[0]).toBe(`Score: ${n} / ${n}`);
    expect(result.slice(1)).toHaveLength(n);
    for (const [index, line] of result.slice(1).entries())
      expect(line).toMatch(new RegExp(`^✓ ${index + 1}\\. `));

    // One grade run in the quiz's session, with the answers by question id, choices as their text.
    expect(await gradeRunInputs(gw().api, sessionId)).toEqual([
      {
        question: 'Grade my answers',
        answers: Object.fromEntries(
          exam.questions.map((question) => [
            question.id,
            question.kind === 'open' ? `it is about ${question.answer}` : question.answer,
          ]),
        ),
      },
    ]);
  });

  it('piped input that ends early: the questions left are unanswered, and the score printed is the grade run’s', async () => {
    const quiz = new CliProcess(['--url', gw().url, 'quiz', 'RxJS operators', '--kind', 'multiple_choice']);
    // All of the input, then its end, before the quiz exists: a pipe does not wait for the prompts.
    quiz.type('b\n');
    quiz.endInput();
    const { code, stdout, stderr } = await quiz.exited;
    expect(code).toBe(0);
    const n = Number(/Quiz: RxJS operators \((\d+) questions\)/.exec(stdout)![1]);
    expect(stderr).toBe(`end of input: questions 2-${n} left unanswered\n`);
    const sessionId = SESSION_LINE.exec(stdout)![1]!;
    const { last_exam: exam, last_grade: grade } = await sessionData(gw().api, sessionId);
    expect(grade).toBeDefined();
    expect(stdout).toContain(`\nScore: ${grade!.score} / ${grade!.max_score}\n`);
    expect(grade!.max_score).toBe(n);
    expect(grade!.score).toBe(exam.questions[0]!.answer === exam.questions[0]!.choices![1] ? 1 : 0);
    expect(await gradeRunInputs(gw().api, sessionId)).toEqual([
      { question: 'Grade my answers', answers: { [exam.questions[0]!.id]: exam.questions[0]!.choices![1] } },
    ]);
    expect(stdout).toMatch(new RegExp(`\\n✗ ${n}\\. No answer given`));
  });

  it('--json: the conversation goes to stderr, stdout is one JSON document with the runs, answers and grade', async () => {
    const quiz = new CliProcess([
      '--url',
      gw().url,
      '--json',
      'quiz',
      'RxJS operators',
      '--questions',
      '1',
      '--kind',
      'open',
    ]);
    quiz.type('no idea\n');
    quiz.endInput();
    const { code, stdout, stderr } = await quiz.exited;
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as Record<string, unknown>;
    expect(stderr).toContain(`session ${String(printed.session_id)}\n`);
    expect(stderr).toMatch(/Your answer \([^)]*\): no idea\n/);
    const { last_exam: exam, last_grade: grade } = await sessionData(gw().api, String(printed.session_id));
    expect(printed).toMatchObject({
      quiz_run_id: expect.stringMatching(UUID),
      grade_run_id: expect.stringMatching(UUID),
      score: grade!.score,
      max_score: 1,
      feedback: [{ question_id: exam.questions[0]!.id, correct: expect.any(Boolean) }],
    });
    expect(printed.answers).toEqual({ [exam.questions[0]!.id]: 'no idea' });
  });

  it('no answers at all, or no quiz made on the topic: exit 1 with a message saying so, and no grade run', async () => {
    const silent = new CliProcess(['--url', gw().url, 'quiz', 'RxJS operators', '--questions', '1']);
    silent.endInput();
    const empty = await silent.exited;
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain(
      'error: no answers given, so nothing to grade: answer at least one question\n',
    );
    const emptySession = SESSION_LINE.exec(empty.stdout)![1]!;
    expect(await gradeRunInputs(gw().api, emptySession)).toEqual([]);

    const nothing = new CliProcess(['--url', gw().url, 'quiz', 'medieval tomato gardening']);
    nothing.endInput();
    const none = await nothing.exited;
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      new RegExp(
        `^error: no quiz in the answer: the quiz run ${UUID.source} found nothing on "medieval tomato gardening"`,
      ),
    );
    expect(none.stdout).not.toContain('Your answer');
  });

  it('in a terminal (pty): the runs show as a task list, the typed answer is echoed once, by the terminal', async () => {
    const quiz = new CliProcess(
      ['--url', gw().url, 'quiz', 'RxJS operators', '--kind', 'multiple_choice', '--questions', '1'],
      { tty: true },
    );
    await quiz.waitFor(/Enter to skip\): /, 15_000);
    quiz.type('a\r');
    const { code, stdout } = await quiz.exited;
    expect(code).toBe(0);
    // The task list (not the plain lines), once for the quiz run and once for the grade run.
    expect(stdout.match(/✔ run completed/g)).toHaveLength(2);
    expect(stdout).toMatch(/Enter to skip\): a\r\n/);
    expect(stdout).not.toMatch(/Enter to skip\): a\r\na\r\n/);
    expect(stdout).toMatch(/\r\nScore: [01] \/ 1\r\n[✓✗] 1\. /);
  });

  it('a bad option value is a usage error naming the option', async () => {
    const { code, stderr } = await cli(['--url', gw().url, 'quiz', 'RxJS', '--questions', '21']);
    expect(code).toBe(1);
    expect(stderr).toContain(
      "option '--questions <n>' argument '21' is invalid. must be an integer from 1 to 20",
    );
  });
});

describe('tributary quiz when the quiz run fails', () => {
  let deadUrl = '';
  beforeAll(async () => {
    deadUrl = `http://127.0.0.1:${await closedPort()}`;
  });
  const gw = usePlatform(() => ({ RAG_URL: deadUrl, EXAM_URL: deadUrl }));

  it('exits 1 naming the failed run and why, without asking anything', async () => {
    const quiz = new CliProcess(['--url', gw().url, 'quiz', 'RxJS operators']);
    quiz.endInput();
    const { code, stdout, stderr } = await quiz.exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^error: the quiz run ${UUID.source} failed: .*rag_search`));
    expect(stdout).toBe('');
  });
});
