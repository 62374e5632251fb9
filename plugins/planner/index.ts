import { errorMessage } from '../../core/errors.ts';
import { defineTool } from '../../core/plugins/plugin.ts';
import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import type { PlannerInput, PlannerOutput } from '../contracts.ts';
import { httpToolPolicy, toolEndpoint } from '../http/index.ts';
import { planByLlm } from './plan-by-llm.ts';
import { planByRules } from './plan-by-rules.ts';
import { plannerInput, plannerOutput } from './schema.ts';

const NAME = 'planner';

export interface PlannerOptions {
  /** An OpenAI-compatible chat completions endpoint (`LLM_URL`); without it the planner uses its rules only. */
  llmUrl?: string;
  /** Per LLM call. Default 5000. */
  timeoutMs?: number;
  /** Largest LLM reply read. Default 1 MiB. */
  maxBytes?: number;
}

/**
 * Makes the `planner` tool: decides whether a question asks for a quiz, an answer or grading, and what it is
 * about. Rules (English and Russian command phrases) by default; with `llmUrl`, an LLM decides and the rules
 * take over on any failure of it (HTTP error, timeout, unusable reply), saying why in a `tool.progress` event.
 * `source` in the output says which one answered.
 *
 * @example
 * ```ts
 * registry.register(planner({ llmUrl: config.LLM_URL }));
 * ctx.callTool<PlannerOutput>('planner', { question: 'Quiz me on RxJS operators' });
 * // { intent: 'quiz', topic: 'RxJS operators', source: 'rules' }
 * ```
 */
export function planner(options: PlannerOptions = {}): ToolDefinition<PlannerInput, PlannerOutput> {
  // `llmUrl` is the full endpoint: nothing to join, only checked at start.
  const llmUrl = options.llmUrl === undefined ? undefined : toolEndpoint(NAME, options.llmUrl, '', 'llmUrl');
  const { timeoutMs, maxBytes } = options;
  return defineTool<PlannerInput, PlannerOutput>({
    name: NAME,
    version: '1.0.0',
    description:
      'Decides what a question asks for: `quiz` (test me), `grade` (check my answers) or `answer` ' +
      '(anything else), and its topic without the command words. Uses an LLM when one is configured, ' +
      'else (and whenever the LLM fails) keyword rules in English and Russian.',
    input: plannerInput,
    output: plannerOutput,
    // The rules are this tool's recovery, so it never fails for the LLM's sake and needs no retry.
    ...httpToolPolicy(NAME, options),
    retries: 0,
    async execute({ question }, ctx) {
      const rules = planByRules(question);
      if (llmUrl === undefined) {
        ctx.progress(`planned ${rules.intent} on "${rules.topic}" by rules`, { intent: rules.intent });
        return { ...rules, source: 'rules' };
      }
      try {
        const plan = await planByLlm(ctx, { url: llmUrl, question, timeoutMs, maxBytes });
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
