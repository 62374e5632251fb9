/**
 * The scale bench's plugins, loaded into every gateway process it starts with `PLUGINS=<this file>`:
 * `scale_stub_call`, one HTTP request to the bench's stub (`SCALE_STUB_URL`), and `scale_three_calls`,
 * a flow of three steps that call it once each, then a message and a result.
 */
import { fileURLToPath } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { defineFlow, defineTool, type FlowEmission } from '../../core/index.ts';

/** The flow the bench runs. */
export const SCALE_FLOW = 'scale_three_calls';
/** Tool calls (steps) per run. */
export const CALLS_PER_RUN = 3;

export const stubCall = defineTool<{ n: number }, { ok: boolean }>({
  name: 'scale_stub_call',
  version: '1.0.0',
  description: 'One request to the scale bench stub, which answers after a fixed delay',
  input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
  output: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
  async execute({ n }, ctx) {
    const base = process.env.SCALE_STUB_URL;
    if (!base) throw new Error('SCALE_STUB_URL is not set');
    const response = await ctx.fetch(`${base}/call/${n}`, { signal: ctx.signal });
    if (!response.ok) throw new Error(`stub answered ${response.status}`);
    return (await response.json()) as { ok: boolean };
  },
});

export const threeCalls = defineFlow<{ question: string }>({
  name: SCALE_FLOW,
  version: '1.0.0',
  description: `${CALLS_PER_RUN} steps, one stub call each, one message`,
  tools: ['scale_stub_call'],
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  async *execute(_input, ctx): AsyncGenerator<FlowEmission> {
    for (let n = 1; n <= CALLS_PER_RUN; n += 1) {
      yield { type: 'step', step: `call ${n}` };
      await lastValueFrom(ctx.callTool('scale_stub_call', { n }));
    }
    yield { type: 'message', role: 'assistant', content: 'done' };
    yield { type: 'result', result: { ok: true } };
  },
});

/** This file as a `PLUGINS` module (its default export). */
export const STUB_PLUGINS_MODULE = fileURLToPath(import.meta.url);
export default [stubCall, threeCalls];
