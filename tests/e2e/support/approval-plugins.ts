import { lastValueFrom } from 'rxjs';
import { defineFlow, defineTool, type FlowEmission } from '../../../core/index.ts';

/** A tool a person must approve, so the dashboard's Approve / Reject buttons have something to answer. */
export const publishAnswer = defineTool<{ text: string }, { published: boolean }>({
  name: 'publish_answer',
  version: '1.0.0',
  description: 'Publishes an answer once a person approves it',
  input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  output: { type: 'object', properties: { published: { type: 'boolean' } }, required: ['published'] },
  requiresApproval: true,
  approvalTimeoutMs: 30_000,
  execute: async () => ({ published: true }),
});

/** Drafts an answer, asks for approval to publish it, then says so. Takes only `question`, like the run form. */
export const reviewedAnswer = defineFlow<{ question: string }>({
  name: 'reviewed_answer',
  version: '1.0.0',
  description: 'Answers after a person approves publishing the answer',
  tools: ['publish_answer'],
  input: {
    type: 'object',
    properties: { question: { type: 'string', minLength: 1 } },
    required: ['question'],
  },
  async *execute(input, ctx): AsyncGenerator<FlowEmission> {
    yield { type: 'step', step: 'draft_ready', message: 'answer drafted' };
    await lastValueFrom(ctx.callTool('publish_answer', { text: `About ${input.question}` }));
    yield { type: 'step', step: 'published', message: 'answer published' };
    yield { type: 'message', role: 'assistant', content: `Published an answer about ${input.question}.` };
  },
});

/** The `PLUGINS` module the e2e gateway loads (default export: an array of plugins). */
export default [publishAnswer, reviewedAnswer];
