import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '../../../core/plugins/plugin-registry.ts';
import { builtinTools } from '../../../plugins/builtin-tools.ts';
import { generateExam } from '../../../plugins/generate_exam/index.ts';
import { gradeExam } from '../../../plugins/grade_exam/index.ts';
import { planner } from '../../../plugins/planner/index.ts';
import { ragSearch } from '../../../plugins/rag_search/index.ts';
import { describeToolConformance } from '../../conformance/tool-conformance.ts';
import { chunks, completion, EXAM, exam, grade, LLM, RAG } from './samples.ts';

/** A nock interceptor for one call that answers `reply`, and the check that it was used. */
function answers(origin: string, path: string, reply: object): () => void {
  const scope = nock(origin).post(path).reply(200, reply);
  return () => scope.done();
}

/** A nock interceptor for one call that answers only after the test is long over. */
function hangs(origin: string, path: string): void {
  nock(origin).post(path).delay(10_000).reply(200, {});
}

const llm = new URL(LLM);

describeToolConformance(ragSearch({ baseUrl: RAG }), {
  validInput: { query: 'RxJS operators', top_k: 2 },
  invalidInput: { query: 'RxJS operators', top_k: 0 },
  arrange: () => answers(RAG, '/search', { chunks }),
  arrangeHang: () => hangs(RAG, '/search'),
});

describeToolConformance(generateExam({ baseUrl: EXAM }), {
  validInput: { topic: 'RxJS operators', chunks },
  invalidInput: { topic: '', chunks },
  arrange: () => answers(EXAM, '/api/generate', { exam }),
  arrangeHang: () => hangs(EXAM, '/api/generate'),
});

describeToolConformance(gradeExam({ baseUrl: EXAM }), {
  validInput: { exam, answers: [{ question_id: 'q1', answer: 'switchMap' }] },
  invalidInput: { exam, answers: [{ question_id: 'q1' }] },
  arrange: () => answers(EXAM, '/api/grade', grade),
  arrangeHang: () => hangs(EXAM, '/api/grade'),
});

// Without an LLM the planner does no I/O at all: no `arrange`, and nothing in flight to cancel.
describeToolConformance(planner(), {
  label: 'planner (rules)',
  validInput: { question: 'Quiz me on RxJS operators' },
  invalidInput: { question: '' },
});

describeToolConformance(planner({ llmUrl: LLM }), {
  label: 'planner (LLM)',
  validInput: { question: 'Quiz me on RxJS operators' },
  invalidInput: { question: 42 },
  arrange: () =>
    answers(
      llm.origin,
      llm.pathname,
      completion(JSON.stringify({ intent: 'quiz', topic: 'RxJS operators' })),
    ),
  arrangeHang: () => hangs(llm.origin, llm.pathname),
});

describe('builtinTools', () => {
  it('makes the four built-in tools, which register together', () => {
    const tools = builtinTools({ ragUrl: RAG, examUrl: EXAM });
    const registry = new PluginRegistry().register(tools).validate();
    expect(registry.tools().map((tool) => tool.name)).toEqual([
      'generate_exam',
      'grade_exam',
      'planner',
      'rag_search',
    ]);
  });

  it('refuses a backend URL that is not an absolute http(s) URL, without echoing it', () => {
    expect(() => builtinTools({ ragUrl: 'rag.test', examUrl: EXAM })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        field: 'rag_search.baseUrl',
        message: 'rag_search: baseUrl must be an absolute http(s) URL',
      }),
    );
    expect(() => builtinTools({ ragUrl: RAG, examUrl: EXAM, llmUrl: 'ftp://llm' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'planner.llmUrl' }),
    );
  });
});
