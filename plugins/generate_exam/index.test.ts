import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { generateExam } from './index.ts';
import { toolHarness } from '../../tests/conformance/tool-harness.ts';
import { describeHttpFailures } from '../../tests/conformance/http-failure-matrix.ts';
import { useNock } from '../../tests/fixtures/nock-lifecycle.ts';
import { chunks, EXAM, exam } from '../../tests/fixtures/tool-samples.ts';
import { describeToolConformance } from '../../tests/conformance/tool-conformance.ts';
import { hangOnce, replyOnce } from '../../tests/fixtures/nock-replies.ts';

describeHttpFailures({
  make: generateExam,
  origin: EXAM,
  path: '/api/generate',
  input: { topic: 'RxJS operators', chunks },
  reply: { exam },
  output: { exam },
});

describe('generate_exam', () => {
  useNock();

  it('POSTs the topic and chunks as context, with 3 mixed questions by default', async () => {
    const h = toolHarness(generateExam({ baseUrl: EXAM }));
    const sent: unknown[] = [];
    nock(EXAM)
      .post('/api/generate', (body) => sent.push(body) > 0)
      .reply(200, { exam });
    expect(await h.outcome({ topic: 'RxJS operators', chunks })).toEqual({ value: { exam } });
    expect(sent).toEqual([{ topic: 'RxJS operators', context: chunks, num_questions: 3, kind: 'mixed' }]);
    expect(h.run.ofType('tool.progress').map((e) => e.message)).toEqual([
      'writing 3 mixed questions about "RxJS operators"',
      'wrote 2 questions',
    ]);
  });

  it('passes num_questions and kind through', async () => {
    const h = toolHarness(generateExam({ baseUrl: EXAM }));
    const scope = nock(EXAM)
      .post('/api/generate', { topic: 'map', context: [], num_questions: 1, kind: 'open' })
      .reply(200, { exam: { ...exam, questions: exam.questions.slice(1) } });
    await h.outcome({ topic: 'map', chunks: [], num_questions: 1, kind: 'open' });
    scope.done();
    expect(h.run.ofType('tool.progress').at(-1)?.message).toBe('wrote 1 question');
  });

  it.each([
    [{ topic: 'map', chunks, num_questions: 0 }, 'input.num_questions'],
    [{ topic: 'map', chunks, num_questions: 21 }, 'input.num_questions'],
    [{ topic: 'map', chunks, kind: 'essay' }, 'input.kind'],
    [{ topic: 'map' }, 'input.chunks'],
    [{ topic: 'map', chunks: [{ id: 'c1' }] }, 'input.chunks.0.text'],
  ])('refuses %o before any request', async (input, field) => {
    const h = toolHarness(generateExam({ baseUrl: EXAM }));
    expect((await h.outcome(input)).error).toMatchObject({ code: 'TOOL_INPUT_INVALID', field });
    expect(h.http.requests).toEqual([]);
  });

  it('fails with TOOL_OUTPUT_INVALID when the exam is malformed', async () => {
    const h = toolHarness(generateExam({ baseUrl: EXAM }));
    nock(EXAM)
      .post('/api/generate')
      .reply(200, { exam: { id: 'e1', topic: 'map' } });
    const { error } = await h.outcome({ topic: 'map', chunks });
    expect(error).toMatchObject({
      code: 'TOOL_OUTPUT_INVALID',
      message: 'generate_exam returned invalid output: output.exam.questions is required',
    });
  });
});

describeToolConformance(generateExam({ baseUrl: EXAM }), {
  validInput: { topic: 'RxJS operators', chunks },
  invalidInput: { topic: '', chunks },
  arrange: () => replyOnce(EXAM, '/api/generate', { exam }),
  arrangeHang: () => hangOnce(EXAM, '/api/generate'),
});
