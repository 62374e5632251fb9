import { TributaryError } from '../../core/errors.ts';
import type { LanguageModel } from '../../core/llm/language-model.ts';
import { INTENTS } from '../contracts.ts';
import type { Intent } from '../contracts.ts';
import type { Plan } from './plan-by-rules.ts';

const SYSTEM_PROMPT = [
  'You route messages of a study assistant. Reply with one JSON object and nothing else:',
  '{"intent": "quiz" | "answer" | "grade", "topic": string}.',
  'intent "quiz": the user wants to be tested or asked questions; "grade": the user wants their answers',
  'checked or scored; "answer": anything else (a question to answer, an explanation to give).',
  "topic: what the message is about, in the user's language, without command words",
  '("Quiz me on RxJS operators" -> "RxJS operators").',
].join(' ');

export interface LlmPlanRequest {
  question: string;
  /** The longest the planner waits for the model, its retries included. */
  timeoutMs: number;
}

/**
 * Asks the tool's language model (`ctx.llm`, JSON mode, not streamed to the session: a plan is no answer)
 * for the question's intent and topic. Throws on anything short of a well-formed plan: the kit's errors, no
 * answer within `timeoutMs`, content that is not JSON, an unknown intent or an empty topic. A cancelled run
 * rethrows its abort reason (the kit's).
 *
 * @example
 * ```ts
 * await planByLlm(ctx.llm, { question: 'Quiz me on RxJS', timeoutMs: 5000 });
 * // { intent: 'quiz', topic: 'RxJS' }
 * ```
 */
export async function planByLlm(llm: LanguageModel, request: LlmPlanRequest): Promise<Plan> {
  const { question, timeoutMs } = request;
  const { text } = await llm.chat(
    {
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: question },
      ],
      response_format: { type: 'json_object' },
    },
    // Past it the kit aborts the request and fails with TOOL_TIMEOUT: the rules answer instead.
    { timeoutMs },
  );
  return parsePlan(text);
}

function parsePlan(content: string): Plan {
  let plan: unknown;
  try {
    plan = JSON.parse(content);
  } catch {
    throw unusable('the reply is not JSON');
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
