import { defineFlow } from '../../../core/index.ts';
import type { FlowEmission } from '../../../core/index.ts';
import { step, useTool } from '../../../plugins/flow-kit.ts';
import type { Forecast, ForecastDay } from '../weather/index.ts';

export interface WhatToWearInput {
  city: string;
}

/**
 * What to wear on a day, from its low and its summary: pure computation, no I/O.
 *
 * @example
 * ```ts
 * adviceFor({ date: '2026-11-21', summary: 'light rain', high_c: 12, low_c: 7 });
 * // 'a jacket, and take an umbrella'
 * ```
 */
export function adviceFor(day: ForecastDay): string {
  const layers = day.low_c < 5 ? 'a warm coat, a hat and gloves' : day.low_c < 15 ? 'a jacket' : 'a t-shirt';
  return /rain|shower|drizzle|storm/i.test(day.summary) ? `${layers}, and take an umbrella` : layers;
}

/**
 * The `what_to_wear` flow: today's forecast for a city from the `weather` tool, turned into advice.
 * Steps: `start_forecast`, `forecast_received`, `final_answer`. When `weather` fails, the `tool_error`
 * step and an assistant message say so (see `useTool`) and the run fails.
 */
export const whatToWear = defineFlow<WhatToWearInput>({
  name: 'what_to_wear',
  version: '1.0.0',
  description: "Suggests what to wear today from the city's weather forecast",
  tools: ['weather'],
  input: {
    type: 'object',
    properties: { city: { type: 'string', minLength: 1, maxLength: 100 } },
    required: ['city'],
    additionalProperties: false,
  },
  async *execute({ city }, ctx): AsyncGenerator<FlowEmission> {
    yield step('start_forecast', `checking today's weather in ${city}`);
    const forecast = yield* useTool<Forecast>(
      ctx,
      'weather',
      { city, days: 1 },
      `get the forecast for ${city}`,
    );
    const today = forecast.days[0];
    if (today === undefined) {
      yield step('final_answer', 'no forecast for today');
      yield { type: 'message', role: 'assistant', content: `I found no forecast for ${city} today.` };
      yield { type: 'result', result: { city, advice: null } };
      return;
    }
    yield step('forecast_received', today.summary, { ...today });
    const advice = adviceFor(today);
    yield step('final_answer', 'advice sent');
    yield {
      type: 'message',
      role: 'assistant',
      content: `${city} today: ${today.summary}, ${today.low_c} to ${today.high_c} °C. Wear ${advice}.`,
    };
    yield { type: 'result', result: { city, advice, forecast: today } };
  },
});

/** What `PLUGINS=./examples/plugins/what_to_wear/index.ts` loads; the `weather` tool must be loaded too. */
export default whatToWear;
