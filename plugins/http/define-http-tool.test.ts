import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { toolHarness } from '../../tests/conformance/tool-harness.ts';
import { useNock } from '../../tests/fixtures/nock-lifecycle.ts';
import { defineHttpTool } from './define-http-tool.ts';

const ORIGIN = 'http://status.test';
const input = { type: 'object', properties: { service: { type: 'string' } }, required: ['service'] };
const output = { type: 'object', properties: { up: { type: 'boolean' } }, required: ['up'] };

/** A GET tool that declares only what it must: no body, no mapping, no progress. */
const status = (retries?: number) =>
  defineHttpTool<{ service: string }, { up: boolean }>({
    baseUrl: `${ORIGIN}/v1/`,
    name: 'status',
    version: '1.0.0',
    description: 'Whether a service is up',
    input,
    output,
    path: '/status',
    method: 'GET',
    ...(retries === undefined ? {} : { retries }),
  });

describe('defineHttpTool', () => {
  useNock();

  it('takes the kit policy: a core timeout past the kit one, one retry after 200 ms, unless told otherwise', () => {
    expect(status()).toMatchObject({ kind: 'tool', timeoutMs: 6_000, retries: 1, retryDelayMs: 200 });
    expect(status(0).retries).toBe(0);
  });

  it('GETs the joined endpoint with no body, and hands the reply over as the output', async () => {
    const h = toolHarness(status());
    const scope = nock(ORIGIN).get('/v1/status').reply(200, { up: true });
    expect(await h.outcome({ service: 'rag' })).toEqual({ value: { up: true } });
    scope.done();
    expect(h.http.requests.map(({ method, headers }) => [method, headers.get('content-type')])).toEqual([
      ['GET', null],
    ]);
    expect(h.run.ofType('tool.progress')).toEqual([]);
  });

  it('sends the body toBody makes, says what progress says, and returns what fromResponse picks', async () => {
    const echo = defineHttpTool<
      { service: string },
      { up: boolean },
      { name: string },
      { up: boolean; x: 1 }
    >({
      baseUrl: ORIGIN,
      name: 'echo',
      version: '1.0.0',
      description: 'Asks a service about itself',
      input,
      output,
      path: '/echo',
      toBody: ({ service }) => ({ name: service }),
      fromResponse: ({ up }) => ({ up }),
      progress: {
        request: ({ name }) => [`asking ${name}`, { name }],
        response: ({ up }) => (up ? [`it is up`] : undefined),
      },
    });
    const h = toolHarness(echo);
    nock(ORIGIN).post('/echo', { name: 'rag' }).reply(200, { up: true, x: 1 });
    expect(await h.outcome({ service: 'rag' })).toEqual({ value: { up: true } });
    expect(h.run.ofType('tool.progress').map((e) => [e.message, e.meta])).toEqual([
      ['asking rag', { name: 'rag' }],
      ['it is up', {}],
    ]);
  });

  it('refuses a base URL that is not http(s) when the tool is made', () => {
    expect(() =>
      defineHttpTool({
        baseUrl: 'status.test',
        name: 'status',
        version: '1.0.0',
        description: '',
        input,
        output,
        path: '/status',
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', field: 'status.baseUrl' }));
  });
});
