import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { ragSearch } from './index.ts';
import { toolHarness } from '../../tests/conformance/tool-harness.ts';
import { describeHttpFailures } from '../../tests/conformance/http-failure-matrix.ts';
import { useNock } from '../../tests/fixtures/nock-lifecycle.ts';
import { chunks, RAG } from '../../tests/fixtures/tool-samples.ts';
import { describeToolConformance } from '../../tests/conformance/tool-conformance.ts';
import { hangOnce, replyOnce } from '../../tests/fixtures/nock-replies.ts';

describeHttpFailures({
  make: ragSearch,
  origin: RAG,
  path: '/search',
  input: { query: 'RxJS operators' },
  reply: { chunks },
  output: { chunks },
});

describe('rag_search', () => {
  useNock();

  it('POSTs the query with top_k 4 by default and reports what it found', async () => {
    const h = toolHarness(ragSearch({ baseUrl: RAG }));
    const scope = nock(RAG).post('/search', { query: 'RxJS operators', top_k: 4 }).reply(200, { chunks });
    expect(await h.outcome({ query: 'RxJS operators' })).toEqual({ value: { chunks } });
    scope.done();
    expect(h.run.ofType('tool.progress').map((e) => [e.message, e.meta])).toEqual([
      ['searching for "RxJS operators"', { top_k: 4 }],
      ['found 2 chunks', { count: 2 }],
    ]);
  });

  it('passes top_k through and says "1 chunk"', async () => {
    const h = toolHarness(ragSearch({ baseUrl: RAG }));
    nock(RAG)
      .post('/search', { query: 'map', top_k: 1 })
      .reply(200, { chunks: chunks.slice(0, 1) });
    await h.outcome({ query: 'map', top_k: 1 });
    expect(h.run.ofType('tool.progress').at(-1)?.message).toBe('found 1 chunk');
  });

  it('keeps only the chunks of a reply that says more', async () => {
    const h = toolHarness(ragSearch({ baseUrl: RAG }));
    nock(RAG).post('/search').reply(200, { chunks, took_ms: 12, index: 'course-v2' });
    expect(await h.outcome({ query: 'map' })).toEqual({ value: { chunks } });
  });

  it.each([
    [{ query: '' }, 'input.query'],
    [{ query: '   ' }, 'input.query'],
    [{ query: 'map', top_k: 0 }, 'input.top_k'],
    [{ query: 'map', top_k: 21 }, 'input.top_k'],
    [{ query: 'map', top_k: 2.5 }, 'input.top_k'],
    [{ top_k: 3 }, 'input.query'],
  ])('refuses %o before any request', async (input, field) => {
    const h = toolHarness(ragSearch({ baseUrl: RAG }));
    expect((await h.outcome(input)).error).toMatchObject({ code: 'TOOL_INPUT_INVALID', field });
    expect(h.http.requests).toEqual([]);
  });

  it('fails with TOOL_OUTPUT_INVALID when the backend breaks the contract, without retrying', async () => {
    const h = toolHarness(ragSearch({ baseUrl: RAG }));
    nock(RAG).post('/search').reply(200, { results: [] });
    const { error } = await h.outcome({ query: 'map' });
    expect(error).toMatchObject({
      code: 'TOOL_OUTPUT_INVALID',
      message: 'rag_search returned invalid output: output.chunks is required',
    });
    expect(h.http.requests).toHaveLength(1);
    expect(h.run.ofType('tool.progress').map((e) => e.message)).toEqual(['searching for "map"']);
  });
});

describeToolConformance(ragSearch({ baseUrl: RAG }), {
  validInput: { query: 'RxJS operators', top_k: 2 },
  invalidInput: { query: 'RxJS operators', top_k: 0 },
  arrange: () => replyOnce(RAG, '/search', { chunks }),
  arrangeHang: () => hangOnce(RAG, '/search'),
});
