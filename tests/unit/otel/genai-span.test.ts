import { SpanKind } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createOtelTelemetry } from '../../../otel/index.ts';
import { streamAnswer, streamedAnswer } from '../../fixtures/streaming-plugins.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';
import { fakeOpenAi, streamed } from '../llm/fake-openai-server.ts';
import { useInMemoryTracing } from './in-memory-tracing.ts';

const tracing = useInMemoryTracing();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a model call, exported through OpenTelemetry', () => {
  it('is a CLIENT span "chat <model>" under its tool span, with the GenAI attributes and no content', async () => {
    const fake = await fakeOpenAi();
    cleanups.push(() => fake.close());
    fake.replies.push(streamed(['Streams ', 'of events.'], [17, 4]));
    const runtime = await startRuntime(
      { LLM_URL: fake.url, LLM_MODEL: 'fake-model', LLM_API_KEY: 'sk-never-in-a-span-0123' },
      { plugins: [streamAnswer, streamedAnswer], telemetry: createOtelTelemetry() },
    );
    cleanups.push(() => runtime.shutdown());
    const session = await runtime.sessions.create();
    const run = await runtime.runs.create(session.id, {
      flow: 'streamed_answer',
      input: { question: 'what is rxjs' },
    });
    expect((await terminalOf(runtime, session.id, run.id)).type).toBe('run.completed');

    const model = tracing.span('chat fake-model');
    const tool = tracing.span('tool stream_answer');
    expect(model.kind).toBe(SpanKind.CLIENT);
    expect(tracing.parentOf(model)).toBe(tool.spanContext().spanId);
    expect(model.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'fake-model',
      'gen_ai.response.model': 'fake-model',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 17,
      'gen_ai.usage.output_tokens': 4,
      'server.address': '127.0.0.1',
    });
    expect(model.attributes).not.toHaveProperty('gen_ai.input.messages');
    expect(model.attributes).not.toHaveProperty('gen_ai.output.messages');
    expect(JSON.stringify(tracing.spans().map((span) => span.attributes))).not.toContain(
      'sk-never-in-a-span',
    );
  });
});
