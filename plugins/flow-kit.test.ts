import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TributaryError, type Runtime, type SessionEvent } from '../core/index.ts';
import { userFacingReason } from './flow-kit.ts';
import { statusError } from './http/index.ts';
import { runFlow, startFlowRuntime } from '../tests/fixtures/runtime.ts';
import { useNock } from '../tests/fixtures/nock-lifecycle.ts';

/** Internal addresses, as in a real deployment: users must never read them. */
const RAG = 'http://rag.internal:8101';
const EXAM = 'http://exam.internal:8102';
const RETRY_HINT = 'Please try again in a moment.';

const assistantSays = (events: SessionEvent[]) =>
  events.filter((event) => event.type === 'message').at(-1)?.message ?? '';

describe('what a user reads when a tool fails in a flow', () => {
  useNock();
  let runtime: Runtime;
  beforeEach(async () => {
    runtime = await startFlowRuntime({ ragUrl: RAG, examUrl: EXAM });
  });
  afterEach(() => runtime.shutdown());

  const quiz = () => runFlow(runtime, 'quiz', { question: 'Quiz me on RxJS operators' });

  it('a 4xx: what the service said, no URL, and no advice to try again (it would fail the same way)', async () => {
    nock(RAG)
      .post('/search')
      .reply(404, { detail: `no index "rxjs" at ${RAG}/indexes` });
    const { events } = await quiz();
    expect(assistantSays(events)).toBe(
      'Sorry, I could not search the course material: the rag_search service answered HTTP 404: ' +
        'no index "rxjs" at the service.',
    );
    expect(events.find((event) => event.step === 'tool_error')?.message).not.toContain(RAG);
    // Operators still see where: the tool.failed event keeps the URL.
    expect(events.find((event) => event.type === 'tool.failed')?.message).toContain(`${RAG}/search`);
  });

  it('a 500: no URL, no advice to try again', async () => {
    nock(RAG).post('/search').reply(500, { detail: 'stack trace' });
    const { events } = await quiz();
    expect(assistantSays(events)).toBe(
      'Sorry, I could not search the course material: the rag_search service answered HTTP 500.',
    );
  });

  it('a refused connection (retryable): no address, and the advice to try again', async () => {
    nock(RAG)
      .post('/search')
      .times(2)
      .replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.5:8101' });
    const { events } = await quiz();
    const said = assistantSays(events);
    expect(said).toBe(
      `Sorry, I could not search the course material: the rag_search service could not be reached. ${RETRY_HINT}`,
    );
    expect(said).not.toMatch(/10\.0\.0\.5|rag\.internal/);
  });

  it('a 503 after its retry: the advice to try again', async () => {
    nock(RAG).post('/search').times(2).reply(503);
    const { events } = await quiz();
    expect(assistantSays(events)).toBe(
      `Sorry, I could not search the course material: the rag_search service answered HTTP 503. ${RETRY_HINT}`,
    );
  });

  it('the exam service failing later in the run is reported the same way', async () => {
    nock(RAG)
      .post('/search')
      .reply(200, {
        chunks: [{ id: 'c1', text: 'mergeMap merges inner streams.', source: 'rxjs.md', score: 0.9 }],
      });
    nock(EXAM).post('/api/generate').reply(400, { detail: 'num_questions must be <= 20' });
    const { events } = await quiz();
    expect(assistantSays(events)).toBe(
      'Sorry, I could not write the quiz: the generate_exam service answered HTTP 400: num_questions must be <= 20.',
    );
  });
});

describe('userFacingReason', () => {
  it('prefers the error’s own user_message', () => {
    const error = statusError(404, { tool: 'weather', url: 'http://10.0.0.5/forecast' }, 'no such city');
    expect(error.message).toBe('HTTP 404 from http://10.0.0.5/forecast: no such city');
    expect(userFacingReason(error)).toBe('the weather service answered HTTP 404: no such city');
  });

  it('takes every URL out of a message that has no user_message', () => {
    const error = new TributaryError(
      'TOOL_FAILED',
      'lookup failed: no answer from https://user:pw@db.internal/q?k=1.',
    );
    expect(userFacingReason(error)).toBe('lookup failed: no answer from the service');
    expect(userFacingReason(new Error('see http://10.1.2.3:9000/x for details'))).toBe(
      'see the service for details',
    );
  });
});
