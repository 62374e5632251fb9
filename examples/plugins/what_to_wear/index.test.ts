import nock from 'nock';
import { pino } from 'pino';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, Runtime } from '../../../core/index.ts';
import { MemoryStore } from '../../../stores/index.ts';
import type { SessionEvent } from '../../../core/index.ts';
import { weather } from '../weather/index.ts';
import { adviceFor, whatToWear } from './index.ts';

const WEATHER = 'http://weather.test';
const oslo = { date: '2026-11-21', summary: 'light rain', high_c: 4, low_c: -1 };

/** Runs the flow in a new session and resolves with the run's events once it has ended. */
async function run(runtime: Runtime, input: Record<string, unknown>): Promise<SessionEvent[]> {
  const session = await runtime.sessions.create({ user_id: 'ann' });
  const { id } = await runtime.runs.create(session.id, { input, flow: 'what_to_wear' });
  const ends = ['run.completed', 'run.failed', 'run.cancelled'];
  await firstValueFrom(
    runtime.events.events$(session.id).pipe(filter((e) => e.run_id === id && ends.includes(e.type))),
  );
  const events = await runtime.store.listEvents(session.id, { after: 0, limit: 100 });
  return events.filter((event) => event.run_id === id);
}

/** `step:name` for steps, the type for everything else: the shape of a run at a glance. */
const shape = (events: SessionEvent[]) => events.map((e) => (e.type === 'step' ? `step:${e.step}` : e.type));

describe('what_to_wear', () => {
  let runtime: Runtime;

  beforeEach(async () => {
    nock.disableNetConnect();
    runtime = await Runtime.start({
      config: loadConfig({ SHUTDOWN_TIMEOUT_MS: '0' }),
      store: new MemoryStore(),
      plugins: [weather({ baseUrl: WEATHER }), whatToWear],
      logger: pino({ level: 'silent' }),
      sweep: false,
    });
  });

  afterEach(async () => {
    await runtime.shutdown();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("asks for today's forecast and says what to wear", async () => {
    nock(WEATHER)
      .get('/forecast')
      .query({ city: 'Oslo', days: '1' })
      .reply(200, { city: 'Oslo', days: [oslo] });
    const events = await run(runtime, { city: 'Oslo' });
    expect(shape(events)).toEqual([
      'run.started',
      'step:start_forecast',
      'tool.started',
      'tool.progress',
      'tool.progress',
      'tool.completed',
      'step:forecast_received',
      'step:final_answer',
      'message',
      'run.completed',
    ]);
    expect(events.find((e) => e.type === 'message')?.message).toBe(
      'Oslo today: light rain, -1 to 4 °C. Wear a warm coat, a hat and gloves, and take an umbrella.',
    );
  });

  it('tells the user when the forecast fails, and the run fails', async () => {
    nock(WEATHER).get('/forecast').query(true).reply(404, { detail: 'no such city: Atlantis' });
    const events = await run(runtime, { city: 'Atlantis' });
    expect(shape(events).slice(-4)).toEqual(['tool.failed', 'step:tool_error', 'message', 'run.failed']);
    expect(events.find((e) => e.type === 'message')?.message).toBe(
      'Sorry, I could not get the forecast for Atlantis: the weather service answered HTTP 404: ' +
        'no such city: Atlantis.',
    );
  });
});

describe('adviceFor', () => {
  it.each([
    [{ low_c: -3, summary: 'snow' }, 'a warm coat, a hat and gloves'],
    [{ low_c: 9, summary: 'showers' }, 'a jacket, and take an umbrella'],
    [{ low_c: 18, summary: 'sunny' }, 'a t-shirt'],
  ])('%o: %s', (day, advice) => {
    expect(adviceFor({ date: '2026-07-01', high_c: 25, ...day })).toBe(advice);
  });
});
