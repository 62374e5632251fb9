import type Koa from 'koa';
import type { RagResponse, SearchResponse } from '../plugins/contracts.ts';
import { DEFAULT_TOP_K, topKSchema } from '../plugins/exam-schemas.ts';
import { composeAnswer } from './answer.ts';
import { DEMO_CORPUS } from './corpus.ts';
import type { Passage } from './corpus.ts';
import { createDemoApp } from './demo-app.ts';
import type { DemoAppOptions } from './demo-app.ts';
import { jsonBody } from './json-body.ts';
import { SearchIndex } from './search.ts';
import { bodyValidator, notBlank } from './validate-body.ts';

export interface RagAppOptions extends DemoAppOptions {
  /** The passages to search; the bundled {@link DEMO_CORPUS} by default. */
  corpus?: readonly Passage[];
}

/** The contract's `SearchRequest` and `RagRequest`, with `top_k` optional so a hand-typed curl works. */
interface SearchBody {
  query: string;
  top_k?: number;
}
interface RagBody {
  question: string;
  top_k?: number;
}

const TEXT_SCHEMA = { type: 'string', minLength: 1, maxLength: 2000 };

const readSearch = bodyValidator<SearchBody>(
  {
    type: 'object',
    properties: { query: TEXT_SCHEMA, top_k: topKSchema },
    required: ['query'],
    additionalProperties: false,
  },
  'demo-rag: POST /search body schema',
);
const readRag = bodyValidator<RagBody>(
  {
    type: 'object',
    properties: { question: TEXT_SCHEMA, top_k: topKSchema },
    required: ['question'],
    additionalProperties: false,
  },
  'demo-rag: POST /rag body schema',
);

/**
 * The demo RAG backend (`service: 'demo-rag'`): searches a small bundled corpus about the platform's
 * own stack. Demo data for a fresh checkout and for local runs, not a test double: a real RAG
 * service that serves the same contract replaces it through `RAG_URL`.
 *
 * - `POST /search` {@link SearchBody} -> {@link SearchResponse}: the best `top_k` chunks, scores in [0, 1].
 * - `POST /rag` {@link RagBody} -> {@link RagResponse}: an extractive answer quoting those chunks.
 * - `GET /healthz` -> `{ ok: true, service: 'demo-rag' }`.
 *
 * @example
 * ```ts
 * const server = createRagApp({ latencyMs: 100 }).listen(8101);
 * // curl -s localhost:8101/search -H 'content-type: application/json' -d '{"query":"mergeMap concurrency"}'
 * ```
 */
export function createRagApp(options: RagAppOptions = {}): Koa {
  const index = new SearchIndex(options.corpus ?? DEMO_CORPUS);
  const parseJson = jsonBody();
  return createDemoApp('demo-rag', options, (router) => {
    router.post('/search', parseJson, (ctx) => {
      const body = readSearch(ctx.request.body);
      const query = notBlank(body.query, 'query');
      const response: SearchResponse = { chunks: index.search(query, body.top_k ?? DEFAULT_TOP_K) };
      ctx.body = response;
    });
    router.post('/rag', parseJson, (ctx) => {
      const body = readRag(ctx.request.body);
      const question = notBlank(body.question, 'question');
      const chunks = index.search(question, body.top_k ?? DEFAULT_TOP_K);
      const response: RagResponse = { answer: composeAnswer(question, chunks), chunks };
      ctx.body = response;
    });
  });
}
