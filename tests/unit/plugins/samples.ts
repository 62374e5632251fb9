import type { Chunk, Exam, GradeResponse } from '../../../plugins/contracts.ts';

/** Backends the tests point tools at; nock answers for them, nothing else leaves the process. */
export const RAG = 'http://rag.test';
export const EXAM = 'http://exam.test';
export const LLM = 'http://llm.test/v1/chat/completions';

export const chunks: Chunk[] = [
  { id: 'c1', text: 'map applies a function to each value.', source: 'rxjs-guide.md#map', score: 0.92 },
  {
    id: 'c2',
    text: 'switchMap cancels the previous inner stream.',
    source: 'rxjs-guide.md#switchmap',
    score: 0.81,
  },
];

export const exam: Exam = {
  id: 'e1',
  topic: 'RxJS operators',
  questions: [
    {
      id: 'q1',
      kind: 'multiple_choice',
      prompt: 'Which operator cancels the previous inner stream?',
      choices: ['map', 'switchMap', 'mergeMap'],
      answer: 'switchMap',
      source: 'rxjs-guide.md#switchmap',
    },
    { id: 'q2', kind: 'open', prompt: 'What does map do?', answer: 'applies a function' },
  ],
};

export const grade: GradeResponse = {
  score: 1,
  max_score: 2,
  feedback: [
    { question_id: 'q1', correct: true, feedback: 'Right.' },
    { question_id: 'q2', correct: false, feedback: 'map applies a function to each value.' },
  ],
};

/** An OpenAI chat completion whose message content is `content`. */
export function completion(content: unknown): Record<string, unknown> {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'tributary-planner',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
  };
}
