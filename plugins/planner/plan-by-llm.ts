import { TributaryError } from '../../core/errors.ts';
import { INTENTS } from '../contracts.ts';
import type { Intent } from '../contracts.ts';
import { postJson } from '../http/index.ts';
import type { HttpContext } from '../http/index.ts';
import type { Plan } from './plan-by-rules.ts';

/** The model name sent to the OpenAI-compatible endpoint; a proxy in front of it maps it to a real model. */
export const PLANNER_MODEL = 'tributary-planner';

const SYSTEM_PROMPT = [
  'You route messages of a study assistant. Reply with one JSON object and nothing else:',
  '{"intent": "quiz" | "answer" | "grade", "topic": string}.',
  'intent "quiz": the user wants to be tested or asked questions; "grade": the user wants their answers',
  'checked or scored; "answer": anything else (a question to answer, an explanation to give).',
  "topic: what the message is about, in the user's language, without command words",
  '("Quiz me on RxJS operators" -> "RxJS operators").',
].join(' ');

/** The part of an OpenAI chat completion the planner reads. */
interface ChatCompletion {
  choices?: Array<{ message?: { content?: unknown } }>;
}

export interface LlmPlanRequest {
  /** The full chat completions endpoint, e.g. `http://127.0.0.1:8000/v1/chat/completions`. */
  url: string;
  question: string;
  timeoutMs?: number;
  maxBytes?: number;
}

/**
 * Asks an OpenAI-compatible chat completions endpoint (JSON mode) for the question's intent and topic.
 * Throws on anything short of a well-formed plan: the HTTP kit's errors, a reply without content, content
 * that is not JSON, an unknown intent or an empty topic. A cancelled run rethrows its abort reason.
 *
 * @example
 * ```ts
 * await planByLlm(ctx, { url: config.LLM_URL, question: 'Quiz me on RxJS' });
 * // { intent: 'quiz', topic: 'RxJS' }
 * ```
 */
export async function planByLlm(ctx: HttpContext, request: LlmPlanRequest): Promise<Plan> {
  const { url, question, timeoutMs, maxBytes } = request;
  const body = {
    model: PLANNER_MODEL,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: question },
    ],
    response_format: { type: 'json_object' },
  };
  const reply = await postJson<ChatCompletion>(ctx, { tool: 'planner', url, body, timeoutMs, maxBytes });
  return parsePlan(reply.choices?.[0]?.message?.content);
}

function parsePlan(content: unknown): Plan {
  if (typeof content !== 'string') throw unusable('the reply has no choices[0].message.content');
  let plan: unknown;
  try {
    plan = JSON.parse(content);
  } catch {
    throw unusable('the reply content is not JSON');
  }
  const { intent, topic } = (typeof plan === 'object' && plan !== null ? plan : {}) as Record<
    string,
    unknown
  >;
  if (!isIntent(intent)) {
    throw unusable(`intent ${JSON.stringify(intent) ?? 'undefined'} is not one of ${INTENTS.join(', ')}`);
  }
  const cleanTopic = typeof topic === 'string' ? topic.trim() : '';
  if (cleanTopic === '') throw unusable('the reply has no topic');
  return { intent, topic: cleanTopic };
}

function isIntent(value: unknown): value is Intent {
  return (INTENTS as readonly unknown[]).includes(value);
}

function unusable(why: string): TributaryError {
  return new TributaryError('TOOL_FAILED', `unusable LLM reply: ${why}`);
}
