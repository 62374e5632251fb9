import { describe, expect, it } from 'vitest';
import { expectProblem, problemFields, useGateway } from './platform.ts';

// What the gateway's reader on @koa/bodyparser keeps from the hand-written one it replaced, where the
// parser's own JSON mode would answer differently (see gateway/http/json-body-reader.ts).
describe('JSON request bodies', () => {
  const gw = useGateway();

  it('an own "__proto__" key is data: accepted and stored as a plain key', async () => {
    const created = await gw().call('POST', '/v1/sessions', {
      raw: '{"metadata":{"__proto__":{"polluted":true},"ok":1}}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(created.status).toBe(201);
    const metadata = (created.body as { metadata: Record<string, unknown> }).metadata;
    expect(Object.keys(metadata)).toEqual(['__proto__', 'ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a JSON scalar is well-formed JSON: the schema refuses it (INVALID_ARGUMENT), not the parser', async () => {
    const reply = await gw().call('POST', '/v1/sessions', {
      raw: '42',
      headers: { 'Content-Type': 'application/json' },
    });
    expectProblem(reply, 400, 'INVALID_ARGUMENT');
    expect(problemFields(reply)).toEqual(['body']);
  });

  it('a JSON type the parser knows but the API does not take is 415', async () => {
    const reply = await gw().call('POST', '/v1/sessions', {
      raw: '{}',
      headers: { 'Content-Type': 'application/vnd.api+json' },
    });
    expectProblem(
      reply,
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'expected Content-Type: application/json, got application/vnd.api+json',
    );
  });
});
