import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { chunks, RAG, useFlowRuntime } from '../../tests/fixtures/flow-samples.ts';
import { runFlow } from '../../tests/fixtures/runtime.ts';

const runtime = useFlowRuntime();

describe('answer flow', () => {
  it('answer: retrieves and answers from the passages, citing sources', async () => {
    nock(RAG).post('/search').reply(200, { chunks });
    const { events } = await runFlow(runtime(), 'answer', { question: 'What does mergeMap do?' });
    expect(events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([
      'intent_determined',
      'start_retrieval',
      'retrieval_done',
      'final_answer',
    ]);
    const answer = events.filter((e) => e.type === 'message').at(-1)!.message;
    expect(answer).toContain(
      'mergeMap subscribes to inner Observables concurrently. [rxjs-guide.md#mergemap]',
    );
    expect(answer).toContain('Sources: rxjs-guide.md#mergemap, rxjs-guide.md#takeuntil');
  });
});
