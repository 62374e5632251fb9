import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../../core/index.ts';
import { expectProblem, INTERNAL_TOKEN, newSession, problemFields, useGateway } from './platform.ts';

/** `levels` arrays nested in one another, as JSON text: `[[[…]]]`. */
const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe(`JSON nested past MAX_JSON_DEPTH (${MAX_JSON_DEPTH}) is a 400 naming the field, and nothing else happens`, () => {
  const gw = useGateway({ INTERNAL_TOKEN });

  it.each([
    ['a run input 6,000 levels deep', 'runs', '{"input":{"question":"q","x":DEEP}}', 'input', 6_000],
    ['a run input 10,000 levels deep', 'runs', '{"input":{"question":"q","x":DEEP}}', 'input', 10_000],
    ['session metadata on update', 'patch', '{"metadata":{"x":DEEP}}', 'metadata', 10_000],
    ['session data on update', 'patch', '{"data":{"x":DEEP}}', 'data', 10_000],
    ['checkpoint state', 'checkpoints', '{"state":{"x":DEEP}}', 'state', 10_000],
    [
      'progress meta',
      'progress',
      '{"session_id":"SID","step":"s","message":"m","meta":{"x":DEEP}}',
      'meta',
      10_000,
    ],
  ])('%s', async (_name, target, template, field, levels) => {
    const id = await newSession(gw().api, { metadata: { kept: true } });
    const before = await gw().call('GET', `/v1/sessions/${id}`);
    const body = template.replace('SID', id).replace('DEEP', nested(levels));
    const [method, path, headers] = {
      runs: ['POST', `/v1/sessions/${id}/runs`, {}],
      patch: ['PATCH', `/v1/sessions/${id}`, {}],
      checkpoints: ['POST', `/v1/sessions/${id}/checkpoints`, {}],
      progress: ['POST', '/v1/progress', { 'X-Internal-Token': INTERNAL_TOKEN }],
    }[target as 'runs'] as [string, string, Record<string, string>];
    const reply = await gw().call(method, path, {
      raw: body,
      headers: { 'Content-Type': 'application/json', ...headers },
    });
    expectProblem(
      reply,
      400,
      'INVALID_ARGUMENT',
      new RegExp(`${field} is nested more than ${MAX_JSON_DEPTH}`),
    );
    expect(problemFields(reply)).toEqual([field]);
    // Nothing written, and the server still answers.
    const after = await gw().call('GET', `/v1/sessions/${id}`);
    expect(after.body).toEqual(before.body);
    expect((await gw().call('GET', `/v1/sessions/${id}/runs`)).body).toEqual({ items: [] });
  });

  it('JSON exactly at the limit is accepted', async () => {
    const id = await newSession(gw().api);
    // The body is level 1, metadata 2, x 3: x holds MAX_JSON_DEPTH - 2 more levels.
    const body = `{"metadata":{"x":${nested(MAX_JSON_DEPTH - 2)}}}`;
    const reply = await gw().call('PATCH', `/v1/sessions/${id}`, {
      raw: body,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(reply.status, reply.text).toBe(200);
    const over = `{"metadata":{"x":${nested(MAX_JSON_DEPTH - 1)}}}`;
    const refused = await gw().call('PATCH', `/v1/sessions/${id}`, {
      raw: over,
      headers: { 'Content-Type': 'application/json' },
    });
    expectProblem(refused, 400, 'INVALID_ARGUMENT');
  });
});
