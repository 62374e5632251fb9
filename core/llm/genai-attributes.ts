import { REDACTED } from '../events/redact.ts';
import type { SpanAttributes } from '../telemetry.ts';
import type { ChatCompletion, ChatRequest, LlmSettings } from './language-model.ts';
import { redactText } from './redact-text.ts';

/**
 * The attributes a model call's span starts with, by the OpenTelemetry GenAI conventions: operation,
 * provider (`openai`: the wire format spoken, whatever hosts the model), model, request settings and
 * server; the prompt as `gen_ai.input.messages` only with `recordContent`, redacted.
 *
 * @example
 * ```ts
 * requestAttributes({ url: 'http://llm:8000/v1/chat/completions' }, request, 'llama3');
 * // { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'llama3', 'server.address': 'llm', … }
 * ```
 */
export function requestAttributes(
  settings: LlmSettings,
  request: ChatRequest,
  model: string,
): SpanAttributes {
  const url = new URL(settings.url);
  const content = contentRedactor(settings);
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': model,
    'gen_ai.request.temperature': request.temperature,
    'gen_ai.request.max_tokens': request.max_tokens,
    'server.address': url.hostname,
    'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    'gen_ai.input.messages':
      content &&
      JSON.stringify(
        request.messages.map(({ role, content: text }) => ({
          role,
          parts: [{ type: 'text', content: content(text) }],
        })),
      ),
  };
}

/** What the answer adds to the span: the model that answered, why it stopped, the tokens counted. */
export function responseAttributes(settings: LlmSettings, completion: ChatCompletion): SpanAttributes {
  const content = contentRedactor(settings);
  return {
    'gen_ai.response.model': completion.model,
    'gen_ai.response.finish_reasons': [completion.finish_reason],
    'gen_ai.usage.input_tokens': completion.usage?.input_tokens,
    'gen_ai.usage.output_tokens': completion.usage?.output_tokens,
    'gen_ai.output.messages':
      content &&
      JSON.stringify([
        {
          role: 'assistant',
          parts: [{ type: 'text', content: content(completion.text) }],
          finish_reason: completion.finish_reason,
        },
      ]),
  };
}

/** Undefined unless content is recorded; then text with the API key and credential-like values masked. */
function contentRedactor(settings: LlmSettings): ((text: string) => string) | undefined {
  if (settings.recordContent !== true) return undefined;
  const key = settings.apiKey;
  return (text) => redactText(key === undefined || key === '' ? text : text.split(key).join(REDACTED));
}
