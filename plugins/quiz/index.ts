import { defineFlow, type FlowEmission } from '../../core/index.ts';
import type { GenerateExamOutput, QuestionKind } from '../contracts.ts';
import {
  DEFAULT_KIND,
  DEFAULT_NUM_QUESTIONS,
  DEFAULT_TOP_K,
  EXAM_KINDS,
  numQuestionsSchema,
  topKSchema,
} from '../exam-schemas.ts';
import { determineIntent, retrieve, step, useTool } from '../flow-kit.ts';
import { renderQuiz, withoutAnswers } from './render.ts';

export interface QuizInput {
  question: string;
  num_questions?: number;
  kind?: QuestionKind | 'mixed';
  top_k?: number;
}

/**
 * The quiz flow: understand the question, retrieve course material, generate a quiz from it.
 * Steps, in order: `intent_determined`, `start_retrieval`, `retrieval_done`, `start_generate_exam`,
 * `generate_done`, `final_answer`; the final assistant message holds the quiz. The exam with its
 * answers is kept in the session's `data.last_exam` for the `grade` flow.
 */
export const quizFlow = defineFlow<QuizInput>({
  name: 'quiz',
  version: '1.0.0',
  description: 'Generates a quiz on the topic of the question from retrieved course material',
  tools: ['planner', 'rag_search', 'generate_exam'],
  input: {
    type: 'object',
    properties: {
      question: { type: 'string', minLength: 1, maxLength: 4000 },
      num_questions: numQuestionsSchema,
      kind: { enum: EXAM_KINDS },
      top_k: topKSchema,
    },
    required: ['question'],
  },
  async *execute(input, ctx): AsyncGenerator<FlowEmission> {
    const plan = yield* determineIntent(ctx, input.question);
    const chunks = yield* retrieve(ctx, plan.topic, input.top_k ?? DEFAULT_TOP_K);
    if (chunks.length === 0) {
      yield step('final_answer', 'nothing to make a quiz from');
      yield {
        type: 'message',
        role: 'assistant',
        content: `I found nothing about "${plan.topic}" in the course material, so there is no quiz to make.`,
      };
      yield { type: 'result', result: { exam: null, topic: plan.topic } };
      return;
    }

    const numQuestions = input.num_questions ?? DEFAULT_NUM_QUESTIONS;
    const kind = input.kind ?? DEFAULT_KIND;
    yield step('start_generate_exam', `writing ${numQuestions} ${kind} questions`, {
      num_questions: numQuestions,
      kind,
    });
    const { exam } = yield* useTool<GenerateExamOutput>(
      ctx,
      'generate_exam',
      { topic: plan.topic, chunks, num_questions: numQuestions, kind },
      'write the quiz',
    );
    yield step('generate_done', `quiz ready: ${exam.questions.length} questions`, {
      exam_id: exam.id,
      questions: exam.questions.length,
    });
    yield { type: 'data', data: { last_exam: exam } };

    const quiz = withoutAnswers(exam);
    yield step('final_answer', 'quiz sent');
    yield { type: 'message', role: 'assistant', content: renderQuiz(quiz), meta: { exam: quiz } };
    yield { type: 'result', result: { exam: quiz, topic: plan.topic } };
  },
});
