/**
 * The data the built-in tools exchange with their backends and with the flows.
 * The demo backends (`demo-backends/`) serve exactly these shapes, and so must a real
 * RAG or exam service set through `RAG_URL` / `EXAM_URL`:
 *
 * | backend | request | response |
 * |---|---|---|
 * | RAG  | `POST /search` {@link SearchRequest}    | {@link SearchResponse} |
 * | RAG  | `POST /rag` {@link RagRequest}          | {@link RagResponse} |
 * | exam | `POST /api/generate` {@link GenerateRequest} | {@link GenerateResponse} |
 * | exam | `POST /api/grade` {@link GradeRequest}  | {@link GradeResponse} |
 * | both | `GET /healthz`                          | `{ ok: true, service }` |
 *
 * Their JSON Schemas and limits are in `exam-schemas.ts`, read by the tools and the demo backends alike.
 */

/** A passage of course material found by retrieval. */
export interface Chunk {
  id: string;
  text: string;
  /** Where it came from, e.g. `rxjs-guide.md#operators`. */
  source: string;
  /** Relevance in [0, 1], higher is better. */
  score: number;
}

export type QuestionKind = 'multiple_choice' | 'open';

export interface ExamQuestion {
  id: string;
  kind: QuestionKind;
  prompt: string;
  /** Present for multiple choice. */
  choices?: string[];
  /** The expected answer (a choice, or key words for open questions). */
  answer: string;
  source?: string;
}

export interface Exam {
  id: string;
  topic: string;
  questions: ExamQuestion[];
}

export interface Answer {
  question_id: string;
  answer: string;
}

export interface QuestionFeedback {
  question_id: string;
  correct: boolean;
  feedback: string;
}

export interface SearchRequest {
  query: string;
  top_k: number;
}
export interface SearchResponse {
  chunks: Chunk[];
}

export interface RagRequest {
  question: string;
  top_k: number;
}
export interface RagResponse {
  answer: string;
  chunks: Chunk[];
}

export interface GenerateRequest {
  topic: string;
  context: Chunk[];
  num_questions: number;
  kind: QuestionKind | 'mixed';
}
export interface GenerateResponse {
  exam: Exam;
}

export interface GradeRequest {
  exam: Exam;
  answers: Answer[];
}
export interface GradeResponse {
  score: number;
  max_score: number;
  feedback: QuestionFeedback[];
}

/** Tool inputs and outputs (the tools' `schema.ts` describe the same shapes, from `exam-schemas.ts`). */
export interface RagSearchInput {
  query: string;
  /** 1..20, default 4. */
  top_k?: number;
}
export type RagSearchOutput = SearchResponse;

export interface GenerateExamInput {
  topic: string;
  chunks: Chunk[];
  /** 1..20, default 3. */
  num_questions?: number;
  /** Default `mixed`. */
  kind?: QuestionKind | 'mixed';
}
export type GenerateExamOutput = GenerateResponse;

export type GradeExamInput = GradeRequest;
export type GradeExamOutput = GradeResponse;

export const INTENTS = ['quiz', 'answer', 'grade'] as const;
export type Intent = (typeof INTENTS)[number];

export interface PlannerInput {
  question: string;
}
export interface PlannerOutput {
  intent: Intent;
  /** What the question is about, with the command words removed ("quiz me on RxJS operators" → "RxJS operators"). */
  topic: string;
  /** `llm` when the LLM planner answered, else `rules`. */
  source: 'rules' | 'llm';
}
