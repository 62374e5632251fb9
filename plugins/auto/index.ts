import { of, type Observable } from 'rxjs';
import { defineFlow, type FlowContext, type FlowDefinition, type FlowEmission } from '../../core/index.ts';
import { answerFlow } from '../answer/index.ts';
import type { Intent, PlannerOutput } from '../contracts.ts';
import { useTool } from '../flow-kit.ts';
import { gradeFlow } from '../grade/index.ts';
import { quizFlow } from '../quiz/index.ts';

/** The flow that carries out each intent the planner can name. */
const FLOW_OF: Record<Intent, FlowDefinition<never>> = {
  quiz: quizFlow as FlowDefinition<never>,
  answer: answerFlow as FlowDefinition<never>,
  grade: gradeFlow as FlowDefinition<never>,
};

/**
 * The flow of runs that name none (`DEFAULT_FLOW=auto`): the planner reads the question and its
 * intent picks the flow (`quiz`, `answer` or `grade`), which then runs as if it had been named, with
 * the same steps and result. The planner is called once: the chosen flow's own planner call gets the
 * plan already made, so its `intent_determined` step is the run's only one.
 *
 * @example
 * ```ts
 * await runtime.runs.create(session.id, { input: { question: 'What does takeUntil do?' } }); // runs `answer`
 * await runtime.runs.create(session.id, { input: { question: 'Quiz me on mergeMap' } });     // runs `quiz`
 * ```
 */
export const autoFlow = defineFlow<{ question: string }>({
  name: 'auto',
  version: '1.0.0',
  description: 'Runs the flow the planner’s intent names: quiz, answer or grade',
  tools: ['planner', 'rag_search', 'generate_exam', 'grade_exam'],
  // Every field any of the flows takes, with its own rules, so whatever the planner picks gets
  // input validated before the run starts; `question` is what the planner reads.
  input: {
    type: 'object',
    properties: Object.assign({}, ...Object.values(FLOW_OF).map(propertiesOf)) as Record<string, unknown>,
    required: ['question'],
  },
  async *execute(input, ctx): AsyncGenerator<FlowEmission> {
    const plan = yield* useTool<PlannerOutput>(
      ctx,
      'planner',
      { question: input.question },
      'understand the question',
    );
    const flow = FLOW_OF[plan.intent];
    const planned: FlowContext = {
      ...ctx,
      callTool: <O>(name: string, toolInput: unknown): Observable<O> =>
        name === 'planner' ? of(plan as O) : ctx.callTool<O>(name, toolInput),
    };
    yield* asGenerator(flow.execute(input as never, planned));
  },
});

function propertiesOf(flow: FlowDefinition<never>): Record<string, unknown> {
  return (flow.input as { properties?: Record<string, unknown> }).properties ?? {};
}

/** The built-in flows are async generators: delegated to with `yield*`. */
function asGenerator(output: ReturnType<FlowDefinition['execute']>): AsyncIterable<FlowEmission> {
  if (typeof output === 'object' && output !== null && Symbol.asyncIterator in output)
    return output as AsyncIterable<FlowEmission>;
  throw new TypeError('auto delegates only to flows written as async generators');
}
