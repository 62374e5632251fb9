import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '../../core/index.ts';
import { startDemoBackends } from '../../demo-backends/index.ts';
import { runFlow, startFlowRuntime } from '../fixtures/runtime.ts';
import { QUIZ_STEPS } from '../fixtures/quiz-steps.ts';

let backends: Awaited<ReturnType<typeof startDemoBackends>>;
let runtime: Runtime;
beforeAll(async () => {
  backends = await startDemoBackends();
  runtime = await startFlowRuntime({ ragUrl: backends.ragUrl, examUrl: backends.examUrl });
});
afterAll(async () => {
  await runtime.shutdown();
  await backends.close();
});

it('runs the quiz flow over HTTP against the demo backends: six steps in order, quiz in the final message, then grades it', async () => {
  const quiz = await runFlow(runtime, 'quiz', {
    question: 'Quiz me on RxJS operators',
    num_questions: 2,
    kind: 'multiple_choice',
  });
  expect(quiz.events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([...QUIZ_STEPS]);
  const final = quiz.events.filter((e) => e.type === 'message').at(-1)!;
  expect(final.message).toMatch(/^Quiz: .+ \(2 questions\)/);
  expect(final.message).toMatch(/\n1\. .+\n {3}a\) /);
  expect(quiz.events.at(-1)?.type).toBe('run.completed');

  const exam = (await runtime.sessions.get(quiz.sessionId)).data.last_exam as {
    questions: { id: string; answer: string }[];
  };
  const answers = exam.questions.map((q) => ({ question_id: q.id, answer: q.answer }));
  const graded = await runFlow(runtime, 'grade', { question: 'grade my answers', answers }, quiz.sessionId);
  expect(graded.events.filter((e) => e.type === 'message').at(-1)?.message).toContain('Score: 2 / 2');
});
