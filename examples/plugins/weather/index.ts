import { defineTool } from '../../../core/index.ts';
import type { JsonSchema, ToolDefinition } from '../../../core/index.ts';
import { getJson, httpToolPolicy, toolEndpoint } from '../../../plugins/http/index.ts';
import type { HttpToolOptions } from '../../../plugins/http/index.ts';

/** Where the weather service is called when `WEATHER_URL` is unset. */
export const DEFAULT_WEATHER_URL = 'http://127.0.0.1:8200';
export const DEFAULT_DAYS = 3;
const NAME = 'weather';

export interface WeatherInput {
  /** A city name, e.g. `Paris`. */
  city: string;
  /** How many days, 1 to 7; {@link DEFAULT_DAYS} when left out. */
  days?: number;
}

export interface ForecastDay {
  /** `YYYY-MM-DD`. */
  date: string;
  summary: string;
  high_c: number;
  low_c: number;
}

export interface Forecast {
  city: string;
  days: ForecastDay[];
}

/** `WeatherInput`. No extra properties: a typo such as `dayz` is refused, not silently ignored. */
const input = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S', description: 'A city name' },
    days: { type: 'integer', minimum: 1, maximum: 7, default: DEFAULT_DAYS, description: 'How many days' },
  },
  required: ['city'],
  additionalProperties: false,
} as const satisfies JsonSchema;

/** `Forecast`. The core checks every output against it before a flow (or a user) sees it. */
const output = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    city: { type: 'string' },
    days: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          date: { type: 'string', format: 'date' },
          summary: { type: 'string' },
          high_c: { type: 'number' },
          low_c: { type: 'number' },
        },
        required: ['date', 'summary', 'high_c', 'low_c'],
      },
    },
  },
  required: ['city', 'days'],
} as const satisfies JsonSchema;

/**
 * Makes the `weather` tool: a daily forecast for a city from `GET {baseUrl}/forecast?city=…&days=…`.
 * One retry for blips (network errors, timeouts, 502/503/504); a cancelled run aborts the request.
 *
 * @example
 * ```ts
 * const tool = weather({ baseUrl: 'http://weather.internal', timeoutMs: 2000 });
 * ctx.callTool<Forecast>('weather', { city: 'Paris' }); // from a flow: 3 days by default
 * ```
 */
export function weather(options: HttpToolOptions): ToolDefinition<WeatherInput, Forecast> {
  // Checked here, so a bad WEATHER_URL stops the process at start rather than failing every call.
  const url = toolEndpoint(NAME, options.baseUrl, '/forecast');
  const { timeoutMs, maxBytes } = options;
  return defineTool<WeatherInput, Forecast>({
    name: NAME,
    version: '1.0.0',
    description: 'Daily forecast for a city: summary, high and low in °C, for 1 to 7 days (default 3).',
    input,
    output,
    ...httpToolPolicy(NAME, options),
    async execute({ city, days = DEFAULT_DAYS }, ctx) {
      ctx.progress(`asking for a ${days}-day forecast for ${city}`, { city, days });
      const query = new URLSearchParams({ city, days: String(days) });
      // `ctx` carries the call's signal: a cancel aborts the request and the kit rethrows the cancel as is.
      const reply = await getJson<Forecast>(ctx, { tool: NAME, url: `${url}?${query}`, timeoutMs, maxBytes });
      // The reply is unchecked until the output schema sees it: count only what is really there.
      if (Array.isArray(reply.days)) {
        const n = reply.days.length;
        ctx.progress(`got ${n} ${n === 1 ? 'day' : 'days'} for ${city}`, { days: n });
      }
      return { city: reply.city, days: reply.days };
    },
  });
}

/** What `PLUGINS=./examples/plugins/weather/index.ts` loads. An empty `WEATHER_URL` counts as unset. */
export default weather({ baseUrl: process.env.WEATHER_URL || DEFAULT_WEATHER_URL });
