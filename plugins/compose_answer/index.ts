import { defineTool } from '../../core/plugins/plugin.ts';
import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import type { Chunk } from '../contracts.ts';
import { answerPrompt } from './prompt.ts';
import { composeAnswerInput, composeAnswerOutput } from './schema.ts';

export interface ComposeAnswerInput {
  question: string;
  passages: Chunk[];
}

export interface ComposeAnswerOutput {
  answer: string;
  sources: string[];
  /** `model`: the language model wrote it and the session saw it stream; `extract`: the best passages. */
  composed_by: 'model' | 'extract';
}

/** How many passages an extractive answer quotes. */
const QUOTED = 3;

/**
 * An extractive answer: the best passages, with their sources, so every claim can be checked.
 *
 * @example
 * ```ts
 * extractAnswer('What does mergeMap do?', chunks); // 'mergeMap subscribes … [rxjs-guide.md#mergemap]\n\nSources: …'
 * ```
 */
export function extractAnswer(question: string, chunks: readonly Chunk[]): string {
  if (chunks.length === 0) return `I found nothing in the course material that answers "${question}".`;
  const best = chunks.slice(0, QUOTED);
  return [
    ...best.map((chunk) => `${chunk.text} [${chunk.source}]`),
    '',
    `Sources: ${[...new Set(best.map((chunk) => chunk.source))].join(', ')}`,
  ].join('\n');
}

/**
 * The `compose_answer` tool: answers a question from retrieved passages. With a language model
 * configured (`LLM_URL`) the model writes the answer, streamed to the session as it comes
 * (`message.delta`, then the `message`); without one, or when there is nothing to answer from, it
 * quotes the best passages. The model's failures are the call's (no silent fallback): the flow tells
 * the user, and a retry would repeat what was streamed.
 *
 * @example
 * ```ts
 * const { answer, composed_by } = await lastValueFrom(ctx.callTool<ComposeAnswerOutput>('compose_answer', { question, passages }));
 * ```
 */
export function composeAnswer(): ToolDefinition<ComposeAnswerInput, ComposeAnswerOutput> {
  return defineTool<ComposeAnswerInput, ComposeAnswerOutput>({
    name: 'compose_answer',
    version: '1.0.0',
    description:
      'Answers a question from retrieved passages, citing their sources: written by the language model ' +
      '(streamed to the session) when LLM_URL is set, else the best passages quoted.',
    input: composeAnswerInput,
    output: composeAnswerOutput,
    // A local model may take a while to write a few sentences.
    timeoutMs: 120_000,
    async execute({ question, passages }, ctx) {
      const sources = [...new Set(passages.map((chunk) => chunk.source))];
      if (!ctx.llm.configured || passages.length === 0) {
        const why = ctx.llm.configured ? 'nothing retrieved to answer from' : 'no language model configured';
        ctx.progress(`quoting the best passages (${why})`, { composed_by: 'extract' });
        return {
          answer: extractAnswer(question, passages),
          sources: sources.slice(0, QUOTED),
          composed_by: 'extract',
        };
      }
      ctx.progress(`asking the language model to answer from ${passages.length} passages`, {
        composed_by: 'model',
        passages: passages.length,
      });
      const { text } = await ctx.llm.chat({ messages: answerPrompt(question, passages) }, { stream: true });
      return { answer: text, sources, composed_by: 'model' };
    },
  });
}
