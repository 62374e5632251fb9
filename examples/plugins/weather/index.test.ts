import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeToolConformance } from '../../../tests/conformance/tool-conformance.ts';
import { toolHarness } from '../../../tests/conformance/tool-harness.ts';
import { weather } from './index.ts';

/** A made-up host: nock answers for it, and nothing ever reaches the network. */
const WEATHER = 'http://weather.test';

const forecast = {
  city: 'Paris',
  days: [
    { date: '2026-11-21', summary: 'light rain', high_c: 12, low_c: 7 },
    { date: '2026-11-22', summary: 'sunny', high_c: 14, low_c: 6 },
  ],
};

describeToolConformance(weather({ baseUrl: WEATHER }), {
  validInput: { city: 'Paris', days: 2 },
  invalidInput: { city: 'Paris', days: 0 },
  arrange: () => {
    const scope = nock(WEATHER).get('/forecast').query({ city: 'Paris', days: '2' }).reply(200, forecast);
    return () => scope.done();
  },
  // Answers long after the test is over: the suite cancels the call while it waits.
  arrangeHang: () => void nock(WEATHER).get('/forecast').query(true).delay(10_000).reply(200, forecast),
});

describe('weather', () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('asks for 3 days by default and says what it is doing', async () => {
    const h = toolHarness(weather({ baseUrl: WEATHER }));
    const scope = nock(WEATHER).get('/forecast').query({ city: 'Paris', days: '3' }).reply(200, forecast);
    expect(await h.outcome({ city: 'Paris' })).toEqual({ value: forecast });
    scope.done();
    expect(h.run.ofType('tool.progress').map((event) => event.message)).toEqual([
      'asking for a 3-day forecast for Paris',
      'got 2 days for Paris',
    ]);
  });

  it('quotes what the service said about a 4xx and does not retry it', async () => {
    const h = toolHarness(weather({ baseUrl: WEATHER }));
    nock(WEATHER).get('/forecast').query(true).reply(404, { detail: 'no such city: Atlantis' });
    const { error } = await h.outcome({ city: 'Atlantis' });
    expect(error).toMatchObject({
      code: 'TOOL_FAILED',
      message: 'HTTP 404 from http://weather.test/forecast: no such city: Atlantis',
    });
    expect(h.http.requests).toHaveLength(1);
  });

  it('retries a 503 once, as its own attempt', async () => {
    const h = toolHarness(weather({ baseUrl: WEATHER }));
    nock(WEATHER).get('/forecast').query(true).reply(503).get('/forecast').query(true).reply(200, forecast);
    expect(await h.outcome({ city: 'Paris' })).toEqual({ value: forecast });
    expect(h.run.types().filter((type) => type !== 'tool.progress')).toEqual([
      'tool.started',
      'tool.started',
      'tool.completed',
    ]);
  });
});
