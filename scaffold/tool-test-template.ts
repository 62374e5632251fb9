import type { TemplateVars } from './template-vars.ts';

/**
 * The source of a new plugin's `index.test.ts`: the tool conformance suite, with nock standing in for the
 * service, and two tests of the tool's own behaviour to start from.
 *
 * @example
 * ```ts
 * await writeFile('plugins/stock_quote/index.test.ts', toolTestTemplate(templateVars('stock_quote', …)));
 * ```
 */
export function toolTestTemplate(v: TemplateVars): string {
  const imports =
    v.imports.testKit === undefined
      ? `import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeToolConformance } from '${v.imports.conformance}';
import { toolHarness } from '${v.imports.harness}';`
      : `// Outside the Tributary repo: vitest, nock and the conformance suite come from the repo's copies.
import { afterEach, beforeEach, describe, describeToolConformance, expect, it, nock, toolHarness } from '${v.imports.testKit}';`;
  return `${imports}
import { ${v.factory} } from './index.ts';

/** A made-up host: nock answers for it, and nothing ever reaches the network. */
const BASE_URL = 'http://${v.testHost}';

describeToolConformance(${v.factory}({ baseUrl: BASE_URL }), {
  validInput: { text: 'hello' },
  invalidInput: { text: '' },
  arrange: () => {
    const scope = nock(BASE_URL).post('/${v.name}', { text: 'hello' }).reply(200, { result: 'hi' });
    return () => scope.done();
  },
  // Answers long after the test is over: the suite cancels the call while it waits.
  arrangeHang: () => void nock(BASE_URL).post('/${v.name}').delay(10_000).reply(200, { result: 'late' }),
});

describe('${v.name}', () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('sends the text and says what it is doing', async () => {
    const h = toolHarness(${v.factory}({ baseUrl: BASE_URL }));
    nock(BASE_URL).post('/${v.name}', { text: 'hello' }).reply(200, { result: 'hi' });
    expect(await h.outcome({ text: 'hello' })).toEqual({ value: { result: 'hi' } });
    expect(h.run.ofType('tool.progress').map((event) => event.message)).toEqual([
      'sending 5 characters to ${v.name}',
      '${v.name} answered',
    ]);
  });

  it('quotes what the service said about a 4xx and does not retry it', async () => {
    const h = toolHarness(${v.factory}({ baseUrl: BASE_URL }));
    nock(BASE_URL).post('/${v.name}').reply(400, { detail: 'text too long' });
    const { error } = await h.outcome({ text: 'hello' });
    expect(error).toMatchObject({
      code: 'TOOL_FAILED',
      message: 'HTTP 400 from http://${v.testHost}/${v.name}: text too long',
    });
    expect(h.http.requests).toHaveLength(1);
  });

  // TODO: test what ${v.name} does with its input and with the service's answers.
});
`;
}
