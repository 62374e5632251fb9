/**
 * The run-cost bench's plugins, loaded into the gateway processes it starts with `PLUGINS=<this file>`:
 * `run_cost_stub_call`, one progress event and one HTTP request to the bench's stub
 * (`RUN_COST_STUB_URL`), and `run_cost_three_steps`, a flow of three steps that call it once each,
 * then a message and a result.
 */
import { fileURLToPath } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { defineFlow, defineTool, type FlowEmission } from '../../core/index.ts';

/** The flow the bench runs. */
export const RUN_COST_FLOW = 'run_cost_three_steps';
/** Steps (one tool call each) per run. */
export const STEPS_PER_RUN = 3;

export const stubCall = defineTool<{ n: number }, { ok: boolean }>({
  name: 'run_cost_stub_call',
  version: '1.0.0',
  description: 'One progress event, then one request to the run-cost bench stub',
  input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
  output: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
  async execute({ n }, ctx) {
    const base = process.env.RUN_COST_STUB_URL;
    if (!base) throw new Error('RUN_COST_STUB_URL is not set');
    ctx.progress(`calling the stub (${n})`, { n });
    const response = await ctx.fetch(`${base}/call/${n}`, { signal: ctx.signal });
    if (!response.ok) throw new Error(`stub answered ${response.status}`);
    return (await response.json()) as { ok: boolean };
  },
});

export const threeSteps = defineFlow<{ question: string }>({
  name: RUN_COST_FLOW,
  version: '1.0.0',
  description: `${STEPS_PER_RUN} steps, one stub call each, one message`,
  tools: ['run_cost_stub_call'],
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  async *execute(_input, ctx): AsyncGenerator<FlowEmission> {
    for (let n = 1; n <= STEPS_PER_RUN; n += 1) {
      yield { type: 'step', step: `call ${n}` };
      await lastValueFrom(ctx.callTool('run_cost_stub_call', { n }));
    }
    yield { type: 'message', role: 'assistant', content: 'done' };
    yield { type: 'result', result: { ok: true } };
  },
});

/** This file as a `PLUGINS` module (its default export). */
export const RUN_COST_PLUGINS_MODULE = fileURLToPath(import.meta.url);
export default [stubCall, threeSteps];
