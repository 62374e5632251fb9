import type Koa from 'koa';
import type {
  Answer,
  Chunk,
  Exam,
  GenerateResponse,
  GradeResponse,
  QuestionKind,
} from '../plugins/contracts.ts';
import {
  answerSchema,
  chunkSchema,
  DEFAULT_KIND,
  DEFAULT_NUM_QUESTIONS,
  EXAM_KINDS,
  examSchema,
  MAX_ANSWERS,
  numQuestionsSchema,
  questionSchema,
} from '../plugins/exam-schemas.ts';
import { createDemoApp } from './demo-app.ts';
import type { DemoAppOptions } from './demo-app.ts';
import { ExamInputError, generateExam, gradeExam } from './exam.ts';
import { jsonBody } from './json-body.ts';
import { invalidRequest } from './problem.ts';
import { bodyValidator, notBlank } from './validate-body.ts';

export type ExamAppOptions = DemoAppOptions;

/**
 * The contract's `GenerateRequest`, with `num_questions` (default 3), `kind` (default `mixed`) and
 * each chunk's `score` optional, since generation does not need them.
 */
interface GenerateBody {
  topic: string;
  context: (Omit<Chunk, 'score'> & { score?: number })[];
  num_questions?: number;
  kind?: QuestionKind | 'mixed';
}
interface GradeBody {
  exam: Exam;
  answers: Answer[];
}

// The contract's schemas (`plugins/exam-schemas.ts`), loosened or tightened only where the demo's own
// logic needs it: generation needs each chunk's text but not its score, and grading needs question ids.
const readGenerate = bodyValidator<GenerateBody>(
  {
    type: 'object',
    properties: {
      topic: { type: 'string', minLength: 1, maxLength: 500 },
      context: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: {
          ...chunkSchema,
          properties: {
            ...chunkSchema.properties,
            text: { type: 'string', minLength: 1 },
            score: { type: 'number' },
          },
          required: ['id', 'text', 'source'],
        },
      },
      num_questions: numQuestionsSchema,
      kind: { enum: EXAM_KINDS },
    },
    required: ['topic', 'context'],
    additionalProperties: false,
  },
  'demo-exam: POST /api/generate body schema',
);

const readGrade = bodyValidator<GradeBody>(
  {
    type: 'object',
    properties: {
      exam: {
        ...examSchema,
        properties: {
          ...examSchema.properties,
          questions: {
            type: 'array',
            maxItems: MAX_ANSWERS,
            items: {
              ...questionSchema,
              properties: { ...questionSchema.properties, id: { type: 'string', minLength: 1 } },
            },
          },
        },
        required: ['id', 'questions'],
      },
      answers: { type: 'array', maxItems: MAX_ANSWERS, items: answerSchema },
    },
    required: ['exam', 'answers'],
    additionalProperties: false,
  },
  'demo-exam: POST /api/grade body schema',
);

/**
 * The demo exam backend (`service: 'demo-exam'`): builds quizzes from the chunks it is given and
 * grades answers, deterministically and without a language model. Demo data for a fresh checkout,
 * not a test double: a real exam service that serves the same contract replaces it through `EXAM_URL`.
 *
 * - `POST /api/generate` {@link GenerateBody} -> {@link GenerateResponse}.
 * - `POST /api/grade` {@link GradeBody} -> {@link GradeResponse}; an answer to an unknown question is a 400.
 * - `GET /healthz` -> `{ ok: true, service: 'demo-exam' }`.
 *
 * @example
 * ```ts
 * const server = createExamApp({ failureRate: 0.1 }).listen(8102);
 * ```
 */
export function createExamApp(options: ExamAppOptions = {}): Koa {
  const parseJson = jsonBody();
  return createDemoApp('demo-exam', options, (router) => {
    router.post('/api/generate', parseJson, (ctx) => {
      const body = readGenerate(ctx.request.body);
      const exam = asBadRequest(() =>
        generateExam({
          topic: notBlank(body.topic, 'topic'),
          context: body.context.map((chunk) => ({ ...chunk, score: chunk.score ?? 0 })),
          num_questions: body.num_questions ?? DEFAULT_NUM_QUESTIONS,
          kind: body.kind ?? DEFAULT_KIND,
        }),
      );
      const response: GenerateResponse = { exam };
      ctx.body = response;
    });
    router.post('/api/grade', parseJson, (ctx) => {
      const body = readGrade(ctx.request.body);
      const response: GradeResponse = asBadRequest(() => gradeExam(body.exam, body.answers));
      ctx.body = response;
    });
  });
}

/** Runs exam logic, turning its input errors into 400 problems that name the field. */
function asBadRequest<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ExamInputError)
      throw invalidRequest([{ field: error.field, message: error.message }]);
    throw error;
  }
}
