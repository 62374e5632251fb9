import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { gradeExam } from './index.ts';
import { toolHarness } from '../../tests/conformance/tool-harness.ts';
import { describeHttpFailures } from '../../tests/conformance/http-failure-matrix.ts';
import { useNock } from '../../tests/fixtures/nock-lifecycle.ts';
import { EXAM, exam, grade } from '../../tests/fixtures/tool-samples.ts';
import { describeToolConformance } from '../../tests/conformance/tool-conformance.ts';
import { hangOnce, replyOnce } from '../../tests/fixtures/nock-replies.ts';

const answers = [
  { question_id: 'q1', answer: 'switchMap' },
  { question_id: 'q2', answer: 'filters values' },
];

describeHttpFailures({
  make: gradeExam,
  origin: EXAM,
  path: '/api/grade',
  input: { exam, answers },
  reply: grade,
  output: grade,
});

describe('grade_exam', () => {
  useNock();

  it('POSTs the exam and answers and reports the score', async () => {
    const h = toolHarness(gradeExam({ baseUrl: EXAM }));
    const sent: unknown[] = [];
    nock(EXAM)
      .post('/api/grade', (body) => sent.push(body) > 0)
      .reply(200, grade);
    expect(await h.outcome({ exam, answers })).toEqual({ value: grade });
    expect(sent).toEqual([{ exam, answers }]);
    expect(h.run.ofType('tool.progress').map((e) => e.message)).toEqual([
      'grading 2 answers on "RxJS operators"',
      'scored 1 of 2',
    ]);
  });

  it('keeps only the fields of the contract', async () => {
    const h = toolHarness(gradeExam({ baseUrl: EXAM }));
    nock(EXAM)
      .post('/api/grade')
      .reply(200, { ...grade, grader: 'v2', debug: { ms: 3 } });
    expect(await h.outcome({ exam, answers })).toEqual({ value: grade });
  });

  it.each([
    [{ exam }, 'input.answers'],
    [{ exam, answers: [{ question_id: 'q1', answer: 'x', extra: true }] }, 'input.answers.0.extra'],
    [{ exam: { id: 'e1', topic: 'map' }, answers }, 'input.exam.questions'],
  ])('refuses %o before any request', async (input, field) => {
    const h = toolHarness(gradeExam({ baseUrl: EXAM }));
    expect((await h.outcome(input)).error).toMatchObject({ code: 'TOOL_INPUT_INVALID', field });
    expect(h.http.requests).toEqual([]);
  });

  it('fails with TOOL_OUTPUT_INVALID when the grade is malformed', async () => {
    const h = toolHarness(gradeExam({ baseUrl: EXAM }));
    nock(EXAM).post('/api/grade').reply(200, { score: '1/2', feedback: [] });
    const { error } = await h.outcome({ exam, answers });
    expect(error).toMatchObject({ code: 'TOOL_OUTPUT_INVALID' });
    expect(h.run.ofType('tool.progress').map((e) => e.message)).toEqual([
      'grading 2 answers on "RxJS operators"',
    ]);
  });
});

describeToolConformance(gradeExam({ baseUrl: EXAM }), {
  validInput: { exam, answers: [{ question_id: 'q1', answer: 'switchMap' }] },
  invalidInput: { exam, answers: [{ question_id: 'q1' }] },
  arrange: () => replyOnce(EXAM, '/api/grade', grade),
  arrangeHang: () => hangOnce(EXAM, '/api/grade'),
});
