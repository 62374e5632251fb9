import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import { QUIZ_STEPS } from '../../fixtures/quiz-steps.ts';
import { allEvents, expectProblem, newSession, problemFields, runToEnd, useGateway } from './platform.ts';

/** The step names and planner calls of one run. */
async function shape(events: SessionEvent[], runId: string) {
  const ofRun = events.filter((event) => event.run_id === runId);
  return {
    steps: ofRun.filter((event) => event.type === 'step').map((event) => event.step),
    plannerCalls: ofRun.filter((event) => event.type === 'tool.started' && event.tool === 'planner').length,
    intent: ofRun.find((event) => event.step === 'intent_determined')?.meta.intent,
  };
}

describe('a run that names no flow runs the flow of the planner’s intent (DEFAULT_FLOW=auto)', () => {
  const gw = useGateway();

  it.each([
    [
      'What does takeUntil do?',
      'answer',
      ['intent_determined', 'start_retrieval', 'retrieval_done', 'final_answer'],
    ],
    ['Quiz me on RxJS mergeMap', 'quiz', [...QUIZ_STEPS]],
  ])('%s → %s, with one planner call', async (question, intent, steps) => {
    const api = gw().api;
    const id = await newSession(api);
    const { data: run } = await api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question } },
    });
    expect(run!.flow).toBe('auto');
    expect((await runToEnd(api, id, run!.id)).status).toBe('completed');
    expect(await shape(await allEvents(api, id), run!.id)).toEqual({ steps, plannerCalls: 1, intent });
  });

  it('a named flow is run as named, whatever the intent', async () => {
    const api = gw().api;
    const id = await newSession(api);
    const { data: run } = await api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'What does takeUntil do?', num_questions: 1 }, flow: 'quiz' },
    });
    expect((await runToEnd(api, id, run!.id)).status).toBe('completed');
    const { steps, intent } = await shape(await allEvents(api, id), run!.id);
    expect(intent).toBe('answer');
    expect(steps).toEqual([...QUIZ_STEPS]);
  });

  it('takes what the flows take, each field checked before the run: bad answers are a 400 naming them', async () => {
    const id = await newSession(gw().api);
    const reply = await gw().call('POST', `/v1/sessions/${id}/runs`, {
      json: { input: { question: 'grade my answers', answers: 5 } },
    });
    expectProblem(reply, 400, 'INVALID_ARGUMENT');
    expect(problemFields(reply)).toEqual(['input.answers']);
  });
});
