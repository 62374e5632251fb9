import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Chunk,
  Exam,
  GenerateRequest,
  GenerateResponse,
  GradeResponse,
  RagResponse,
  SearchResponse,
} from '../../plugins/contracts.ts';
import { createRagApp, startDemoBackends } from '../../demo-backends/index.ts';
import type { DemoBackends } from '../../demo-backends/index.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  service: string;
  errors?: { field: string; message: string }[];
}

/** POSTs a JSON body (or a raw string with its own content type) and returns status, headers and parsed body. */
async function post<T>(
  url: string,
  body: unknown,
  contentType = 'application/json',
): Promise<{ status: number; headers: Headers; body: T }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

/** Asserts a problem+json 400 that names `field` among its errors. */
function expectBadField(
  result: { status: number; headers: Headers; body: ProblemBody },
  field: string,
): void {
  expect(result.status).toBe(400);
  expect(result.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(result.body).toMatchObject({ status: 400, title: 'Invalid request' });
  expect(result.body.errors?.map((error) => error.field)).toContain(field);
  expect(result.body.detail).toContain(field);
}

let demo: DemoBackends;
beforeAll(async () => {
  demo = await startDemoBackends();
});
afterAll(async () => {
  await demo.close();
});

describe('health', () => {
  it('answers GET /healthz on both backends with their demo service names', async () => {
    for (const [url, service] of [
      [demo.ragUrl, 'demo-rag'],
      [demo.examUrl, 'demo-exam'],
    ] as const) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${url}/healthz`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-demo-backend')).toBe(service);
      expect(await response.json()).toEqual({ ok: true, service });
    }
  });
});

describe('demo-rag POST /search', () => {
  it('finds the mergeMap passage for "mergeMap concurrency", with scores in [0, 1] sorted descending', async () => {
    const { status, body } = await post<SearchResponse>(`${demo.ragUrl}/search`, {
      query: 'mergeMap concurrency',
      top_k: 4,
    });
    expect(status).toBe(200);
    expect(body.chunks[0]).toMatchObject({ id: 'rxjs-mergemap', source: 'rxjs-guide.md#mergemap' });
    expect(body.chunks[0]?.text).toContain('mergeMap');
    for (const chunk of body.chunks) {
      expect(Object.keys(chunk).sort()).toEqual(['id', 'score', 'source', 'text']);
      expect(chunk.score).toBeGreaterThan(0);
      expect(chunk.score).toBeLessThanOrEqual(1);
    }
    const scores = body.chunks.map((chunk) => chunk.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('honours top_k, and defaults it to 4', async () => {
    const query = 'Observable source subscription stream';
    for (const topK of [1, 2, 5]) {
      const { body } = await post<SearchResponse>(`${demo.ragUrl}/search`, { query, top_k: topK });
      expect(body.chunks).toHaveLength(topK);
    }
    const { body } = await post<SearchResponse>(`${demo.ragUrl}/search`, { query });
    expect(body.chunks).toHaveLength(4);
  });

  it('returns no chunks when nothing matches', async () => {
    const { status, body } = await post<SearchResponse>(`${demo.ragUrl}/search`, {
      query: 'kubernetes helm chart',
      top_k: 4,
    });
    expect(status).toBe(200);
    expect(body.chunks).toEqual([]);
  });

  it.each([
    ['absent', { top_k: 3 }],
    ['empty', { query: '', top_k: 3 }],
    ['blank', { query: '   ', top_k: 3 }],
    ['not a string', { query: 42, top_k: 3 }],
  ])('refuses a query that is %s with a 400 naming `query`', async (_case, request) => {
    expectBadField(await post<ProblemBody>(`${demo.ragUrl}/search`, request), 'query');
  });

  it.each([0, 21, 2.5, '3'])('refuses top_k %j with a 400 naming `top_k`', async (topK) => {
    expectBadField(await post<ProblemBody>(`${demo.ragUrl}/search`, { query: 'koa', top_k: topK }), 'top_k');
  });
});

describe('demo-rag POST /rag', () => {
  it('answers from the retrieved chunks and cites their sources', async () => {
    const { status, body } = await post<RagResponse>(`${demo.ragUrl}/rag`, {
      question: 'How does mergeMap limit concurrency?',
      top_k: 3,
    });
    expect(status).toBe(200);
    expect(body.chunks.length).toBeGreaterThan(0);
    expect(body.chunks.length).toBeLessThanOrEqual(3);
    expect(body.answer).toContain('concurrency');
    expect(body.answer).toContain('[rxjs-guide.md#mergemap]');
  });

  it('says the demo corpus has nothing when no chunk matches', async () => {
    const { body } = await post<RagResponse>(`${demo.ragUrl}/rag`, {
      question: 'kubernetes helm chart',
      top_k: 3,
    });
    expect(body.chunks).toEqual([]);
    expect(body.answer).toMatch(/demo corpus has no passage/);
  });

  it('refuses a missing question with a 400 naming `question`', async () => {
    expectBadField(await post<ProblemBody>(`${demo.ragUrl}/rag`, { top_k: 3 }), 'question');
  });
});

describe('demo-exam', () => {
  let context: Chunk[];
  beforeAll(async () => {
    const { body } = await post<SearchResponse>(`${demo.ragUrl}/search`, {
      query: 'mergeMap switchMap concatMap takeUntil',
      top_k: 4,
    });
    context = body.chunks;
  });

  async function generate(request: Partial<GenerateRequest>): Promise<Exam> {
    const { status, body } = await post<GenerateResponse>(`${demo.examUrl}/api/generate`, {
      topic: 'RxJS operators',
      context,
      ...request,
    });
    expect(status).toBe(200);
    return body.exam;
  }

  it.each(['multiple_choice', 'open'] as const)(
    'generates num_questions %s questions with stable ids',
    async (kind) => {
      const exam = await generate({ num_questions: 5, kind });
      expect(exam.id).toMatch(UUID);
      expect(exam.topic).toBe('RxJS operators');
      expect(exam.questions.map((question) => question.id)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
      for (const question of exam.questions) {
        expect(question.kind).toBe(kind);
        expect(question.answer).not.toBe('');
        expect(context.map((chunk) => chunk.source)).toContain(question.source);
        if (kind === 'multiple_choice') {
          expect(question.prompt).toContain('_____');
          expect(question.choices).toContain(question.answer);
          expect(new Set(question.choices).size).toBe(question.choices?.length);
        } else {
          expect(question.prompt).toMatch(/^Explain /);
          expect(question.choices).toBeUndefined();
        }
      }
    },
  );

  it('alternates kinds for `mixed`, and gives the same questions for the same request', async () => {
    const first = await generate({ num_questions: 4, kind: 'mixed' });
    expect(first.questions.map((question) => question.kind)).toEqual([
      'multiple_choice',
      'open',
      'multiple_choice',
      'open',
    ]);
    const second = await generate({ num_questions: 4, kind: 'mixed' });
    expect(second.questions).toEqual(first.questions);
    expect(second.id).not.toBe(first.id);
  });

  it.each([
    ['context', { context: [] }],
    ['context', { context: undefined }],
    ['context.0.text', { context: [{ id: 'x', source: 's', score: 1 }] }],
    ['num_questions', { num_questions: 0 }],
    ['kind', { kind: 'essay' }],
    ['topic', { topic: ' ' }],
  ])('refuses a bad generate request with a 400 naming `%s`', async (field, change) => {
    const request = { topic: 'RxJS', context, num_questions: 2, kind: 'mixed', ...change };
    expectBadField(await post<ProblemBody>(`${demo.examUrl}/api/generate`, request), field);
  });

  it('grades all-correct answers with the full score and wrong ones with 0 and what was expected', async () => {
    const exam = await generate({ num_questions: 4, kind: 'mixed' });
    const right = await post<GradeResponse>(`${demo.examUrl}/api/grade`, {
      exam,
      answers: exam.questions.map((question) => ({ question_id: question.id, answer: question.answer })),
    });
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ score: 4, max_score: 4 });
    expect(right.body.feedback.every((item) => item.correct)).toBe(true);

    const wrong = await post<GradeResponse>(`${demo.examUrl}/api/grade`, {
      exam,
      answers: exam.questions.map((question) => ({ question_id: question.id, answer: 'no idea' })),
    });
    expect(wrong.body).toMatchObject({ score: 0, max_score: 4 });
    wrong.body.feedback.forEach((item, index) => {
      const question = exam.questions[index];
      expect(item).toMatchObject({ question_id: question?.id, correct: false });
      // The feedback says what was expected: the choice, or the first key word of an open answer.
      expect(item.feedback).toContain(question?.answer.split(', ')[0]);
    });
  });

  it('refuses an answer to an unknown question with a 400 naming it', async () => {
    const exam = await generate({ num_questions: 2, kind: 'mixed' });
    const result = await post<ProblemBody>(`${demo.examUrl}/api/grade`, {
      exam,
      answers: [
        { question_id: 'q1', answer: 'x' },
        { question_id: 'q99', answer: 'x' },
      ],
    });
    expectBadField(result, 'answers.1.question_id');
    expect(result.body.detail).toContain('q99');
  });
});

describe('HTTP errors', () => {
  it('answers malformed JSON with a 400 problem', async () => {
    const { status, headers, body } = await post<ProblemBody>(`${demo.ragUrl}/search`, '{"query": "koa",');
    expect(status).toBe(400);
    expect(headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ status: 400, title: 'Malformed JSON', service: 'demo-rag' });
    expect(body.type).toEqual(expect.any(String));
    expect(body.detail).toMatch(/not valid JSON/);
  });

  it('answers a text/plain body with 415', async () => {
    const { status, headers, body } = await post<ProblemBody>(
      `${demo.examUrl}/api/grade`,
      'hello',
      'text/plain',
    );
    expect(status).toBe(415);
    expect(headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(body.detail).toContain('application/json');
  });

  it('answers a body over 1 MiB with 413', async () => {
    const { status, body } = await post<ProblemBody>(`${demo.ragUrl}/search`, {
      query: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(status).toBe(413);
    expect(body.status).toBe(413);
  });

  it('answers an unknown route with a 404 problem and a wrong method with 405', async () => {
    const missing = await fetch(`${demo.examUrl}/api/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await missing.json()).toMatchObject({ status: 404, service: 'demo-exam' });

    const wrongMethod = await fetch(`${demo.ragUrl}/search`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});

describe('injected faults', () => {
  it('fails every request but health checks with 503 when failureRate is 1', async () => {
    const failing = await startDemoBackends({ failureRate: 1 });
    try {
      const rag = await post<ProblemBody>(`${failing.ragUrl}/search`, { query: 'koa', top_k: 1 });
      expect(rag.status).toBe(503);
      expect(rag.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(rag.body).toMatchObject({
        status: 503,
        detail: 'demo backend failure (injected)',
        service: 'demo-rag',
      });
      const exam = await post<ProblemBody>(`${failing.examUrl}/api/grade`, {});
      expect(exam.status).toBe(503);
      expect((await fetch(`${failing.ragUrl}/healthz`)).status).toBe(200);
    } finally {
      await failing.close();
    }
  });

  it('draws failures from the injected random source', async () => {
    const draws = [0.2, 0.8];
    const app = createRagApp({ failureRate: 0.5, random: () => draws.shift() ?? 1 });
    const server = await new Promise<Server>((resolve) => {
      const handle = app.callback();
      const listening = createServer((request, response) => void handle(request, response)).listen(
        0,
        '127.0.0.1',
        () => resolve(listening),
      );
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/search`;
      expect((await post<ProblemBody>(url, { query: 'koa', top_k: 1 })).status).toBe(503);
      expect((await post<SearchResponse>(url, { query: 'koa', top_k: 1 })).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('waits at least latencyMs before answering', async () => {
    const latencyMs = 150;
    const slow = await startDemoBackends({ latencyMs });
    try {
      const started = performance.now();
      const { status } = await post<SearchResponse>(`${slow.ragUrl}/search`, { query: 'koa', top_k: 1 });
      expect(status).toBe(200);
      // A timer may fire up to a millisecond early against performance.now(): allow that much.
      expect(performance.now() - started).toBeGreaterThanOrEqual(latencyMs - 1);
    } finally {
      await slow.close();
    }
  });
});

describe('startDemoBackends', () => {
  it('frees its ports on close(), even with keep-alive connections open', async () => {
    const first = await startDemoBackends();
    const ragPort = Number(new URL(first.ragUrl).port);
    const examPort = Number(new URL(first.examUrl).port);
    // fetch keeps the connections alive: close() must still return promptly.
    await fetch(`${first.ragUrl}/healthz`);
    await fetch(`${first.examUrl}/healthz`);
    await first.close();
    await first.close();

    const second = await startDemoBackends({ ragPort, examPort });
    try {
      expect(second.ragUrl).toBe(first.ragUrl);
      expect(second.examUrl).toBe(first.examUrl);
      expect(await (await fetch(`${second.examUrl}/healthz`)).json()).toEqual({
        ok: true,
        service: 'demo-exam',
      });
    } finally {
      await second.close();
    }
  });

  it('rejects with an error naming the backend and address when a port is taken', async () => {
    const examPort = Number(new URL(demo.examUrl).port);
    await expect(startDemoBackends({ examPort })).rejects.toThrow(
      /demo-exam cannot listen on 127\.0\.0\.1:\d+/,
    );
  });
});
