import { defineTool } from '../../core/plugins/plugin.ts';
import type { JsonSchema, ToolContext, ToolDefinition } from '../../core/plugins/plugin.ts';
import { httpToolPolicy } from './http-tool-policy.ts';
import type { HttpToolOptions } from './http-tool-policy.ts';
import { requestJson } from './request-json.ts';
import type { JsonRequest } from './request-json.ts';
import { toolEndpoint } from './tool-endpoint.ts';

/** A `tool.progress` message and its meta. */
export type ProgressNote = readonly [message: string, meta?: Record<string, unknown>];

/** What a tool that is one JSON call to one backend operation declares; see {@link defineHttpTool}. */
export interface HttpToolSpec<I, O, Req, Res extends object> extends HttpToolOptions {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly input: JsonSchema;
  readonly output: JsonSchema;
  /** The operation's path under `baseUrl`, e.g. `/search`. */
  readonly path: string;
  /** Default `POST`. */
  readonly method?: JsonRequest['method'];
  /** Extra attempts for the errors the kit marks `retryable`. Default 1. */
  readonly retries?: number;
  readonly dependencies?: readonly string[];
  /** The request body (defaults applied); the input itself when left out. Ignored for `GET`. */
  toBody?(input: I): Req;
  /** The output from the reply; the reply itself when left out. The output schema checks it afterwards. */
  fromResponse?(reply: Res): O;
  readonly progress?: {
    /** Said before the call, from the body about to be sent. */
    request?(body: Req): ProgressNote;
    /**
     * Said after a 2xx reply. The reply is unchecked until the output schema sees it, so return `undefined`
     * when what the note counts is not really there.
     */
    response?(reply: Res): ProgressNote | undefined;
  };
}

/**
 * Makes a tool that is one JSON call to a backend: the endpoint is checked at start (`CONFIG_INVALID` for a bad
 * `baseUrl`, `timeoutMs` or `maxBytes`), the call goes through the kit (`ctx.fetch`, its own timeout, the size
 * limit, the run's abort, errors with `details.user_message`), and the core retries blips once after 200 ms
 * (see {@link httpToolPolicy}).
 *
 * @example
 * ```ts
 * export const weather = (options: HttpToolOptions) =>
 *   defineHttpTool<{ city: string }, Forecast, { city: string }, Forecast>({
 *     ...options, name: 'weather', version: '1.0.0', description: 'Forecast for a city', input, output,
 *     path: '/forecast',
 *     progress: { request: ({ city }) => [`forecasting ${city}`] },
 *   });
 * ```
 */
export function defineHttpTool<I, O, Req = I, Res extends object = O & object>(
  spec: HttpToolSpec<I, O, Req, Res>,
): ToolDefinition<I, O> {
  const { name, baseUrl, timeoutMs, maxBytes, method = 'POST', progress } = spec;
  const url = toolEndpoint(name, baseUrl, spec.path);
  const toBody = spec.toBody ?? ((input: I) => input as unknown as Req);
  const fromResponse = spec.fromResponse ?? ((reply: Res) => reply as unknown as O);
  const policy = httpToolPolicy(name, { timeoutMs, maxBytes });
  return defineTool<I, O>({
    name,
    version: spec.version,
    description: spec.description,
    input: spec.input,
    output: spec.output,
    ...(spec.dependencies === undefined ? {} : { dependencies: spec.dependencies }),
    ...policy,
    retries: spec.retries ?? policy.retries,
    async execute(input: I, ctx: ToolContext): Promise<O> {
      const body = toBody(input);
      say(ctx, progress?.request?.(body));
      const reply = await requestJson<Res>(ctx, {
        method,
        tool: name,
        url,
        body: method === 'GET' ? undefined : body,
        timeoutMs,
        maxBytes,
      });
      say(ctx, progress?.response?.(reply));
      return fromResponse(reply);
    },
  });
}

function say(ctx: ToolContext, note: ProgressNote | undefined): void {
  if (note !== undefined) ctx.progress(...note);
}
