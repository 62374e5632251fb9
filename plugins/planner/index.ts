import { errorMessage } from '../../core/errors.ts';
import { defineTool } from '../../core/plugins/plugin.ts';
import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import type { PlannerInput, PlannerOutput } from '../contracts.ts';
import { httpToolPolicy } from '../http/index.ts';
import { planByLlm } from './plan-by-llm.ts';
import { planByRules } from './plan-by-rules.ts';
import { plannerInput, plannerOutput } from './schema.ts';

const NAME = 'planner';

export interface PlannerOptions {
  /** The longest the planner waits for the language model (its retries included) before using its rules. Default 5000. */
  timeoutMs?: number;
}

/** The planner's budget for the model when none is given: a plan must come quickly or not at all. */
const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Makes the `planner` tool: decides whether a question asks for a quiz, an answer or grading, and what it is
 * about. With a language model configured (`ctx.llm`: `LLM_URL`, `LLM_MODEL`, `LLM_API_KEY`) the model
 * decides, and the rules (English and Russian command phrases) take over on any failure of it (HTTP error,
 * no answer within `timeoutMs`, unusable reply), saying why in a `tool.progress` event; without one, the
 * rules decide. `source` in the output says which one answered.
 *
 * @example
 * ```ts
 * registry.register(planner({ timeoutMs: 3000 }));
 * ctx.callTool<PlannerOutput>('planner', { question: 'Quiz me on RxJS operators' });
 * // { intent: 'quiz', topic: 'RxJS operators', source: 'rules' }
 * ```
 */
export function planner(options: PlannerOptions = {}): ToolDefinition<PlannerInput, PlannerOutput> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return defineTool<PlannerInput, PlannerOutput>({
    name: NAME,
    version: '1.0.0',
    description:
      'Decides what a question asks for: `quiz` (test me), `grade` (check my answers) or `answer` ' +
      '(anything else), and its topic without the command words. Uses an LLM when one is configured, ' +
      'else (and whenever the LLM fails) keyword rules in English and Russian.',
    input: plannerInput,
    output: plannerOutput,
    // Checks `timeoutMs` and puts the core's timeout just past it, so the rules answer before the core gives up.
    // The rules are this tool's recovery, so it never fails for the LLM's sake and needs no retry.
    ...httpToolPolicy(NAME, { timeoutMs }),
    retries: 0,
    async execute({ question }, ctx) {
      const rules = planByRules(question);
      if (!ctx.llm.configured) {
        ctx.progress(`planned ${rules.intent} on "${rules.topic}" by rules`, { intent: rules.intent });
        return { ...rules, source: 'rules' };
      }
      try {
        const plan = await planByLlm(ctx.llm, { question, timeoutMs });
        ctx.progress(`planned ${plan.intent} on "${plan.topic}" by the LLM`, { intent: plan.intent });
        return { ...plan, source: 'llm' };
      } catch (error) {
        // A cancel is not an LLM failure: falling back would hide it from the core.
        if (ctx.signal.aborted) throw error;
        const reason = errorMessage(error);
        ctx.logger.warn({ reason }, 'LLM planner failed; using the rules');
        ctx.progress(`LLM planner failed (${reason}); planned ${rules.intent} on "${rules.topic}" by rules`, {
          intent: rules.intent,
          fallback: 'rules',
          reason,
        });
        return { ...rules, source: 'rules' };
      }
    },
  });
}
