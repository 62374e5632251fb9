import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { TributaryError } from './errors.ts';
import { redactUrl } from './redact-url.ts';
import { WEBHOOK_SECRET_PATTERN, webhookKey } from './webhooks/webhook-signature.ts';

const Int = (minimum: number, maximum: number, defaultValue: number, description: string) =>
  Type.Integer({ minimum, maximum, default: defaultValue, description });
const HTTP_URL = { pattern: '^https?://\\S+$', hint: 'an http:// or https:// URL' };
const Url = (description: string) => Type.Optional(Type.String({ ...HTTP_URL, description }));
const REDIS_URL_HINT = 'a redis:// or rediss:// URL: redis[s]://[[user]:password@]host[:port][/db]';
/** The longest REDIS_PREFIX: it starts every key, and a test's `tributary-test:<uuid>:` must fit. */
const MAX_REDIS_PREFIX = 128;

/** RATE_LIMIT's window units and their seconds: `100/min` is 100 requests a minute. */
const RATE_WINDOWS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
};

/** Every setting, read from the environment (see `.env.example` for the defaults). */
export const ConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface the gateway listens on' }),
  PORT: Int(0, 65535, 3000, 'Gateway port (0 picks a free one)'),
  CONCURRENCY_LIMIT: Int(1, 1000, 3, 'Runs executing at once across all sessions'),
  IDLE_AFTER_SECONDS: Int(1, 31_536_000, 1800, 'Seconds without activity before a session turns idle'),
  SESSION_TTL_SECONDS: Int(1, 31_536_000, 600, 'Seconds an idle session lives before it expires'),
  SWEEP_INTERVAL_SECONDS: Int(1, 86_400, 30, 'How often the TTL sweeper runs'),
  HISTORY_LIMIT: Int(1, 100_000, 200, 'Events per session kept hot in memory'),
  MAX_SESSIONS_PER_USER: Int(0, 1_000_000, 100, 'Live sessions per user (0: no cap)'),
  SESSION_CAP_POLICY: Type.Union([Type.Literal('reject'), Type.Literal('evict')], {
    default: 'reject',
    description: 'At the cap: reject with 429, or expire the user’s oldest idle session',
  }),
  SHUTDOWN_TIMEOUT_MS: Int(
    0,
    600_000,
    10_000,
    'How long shutdown lets running runs finish before cancelling them',
  ),
  DEFAULT_FLOW: Type.String({
    default: 'auto',
    pattern: '^[a-z][a-z0-9_]{0,63}$',
    description: 'Flow of runs that name none (auto: the planner’s intent picks quiz, answer or grade)',
    hint: 'a flow name (lowercase letters, digits, _)',
  }),
  STORE: Type.Union([Type.Literal('sqlite'), Type.Literal('memory'), Type.Literal('redis')], {
    default: 'sqlite',
  }),
  ROLE: Type.Union([Type.Literal('all'), Type.Literal('api'), Type.Literal('worker')], {
    default: 'all',
    description:
      'What this process does: all (HTTP, sockets and runs), api (HTTP and sockets, runs go to workers) or worker (runs, health probes only); api and worker need STORE=redis',
  }),
  WORKER_CONCURRENCY: Int(
    1,
    1000,
    3,
    'Runs one worker process executes at once (CONCURRENCY_LIMIT stays the limit across all workers)',
  ),
  RUN_ON_WORKER_LOSS: Type.Union([Type.Literal('fail'), Type.Literal('retry')], {
    default: 'fail',
    description:
      'A run whose worker died: fail it (RUN_INTERRUPTED), or retry it from the start on another worker',
  }),
  WORKER_LOCK_MS: Int(
    1000,
    600_000,
    30_000,
    'How long a worker’s lock on a run lives without renewal (BullMQ lockDuration)',
  ),
  WORKER_STALLED_INTERVAL_MS: Int(
    500,
    600_000,
    30_000,
    'How often workers look for runs whose lock expired (BullMQ stalledInterval)',
  ),
  SQLITE_PATH: Type.String({ default: './data/tributary.db', minLength: 1 }),
  REDIS_URL: Type.String({
    default: 'redis://127.0.0.1:6379',
    pattern: '^rediss?://\\S+$',
    description: 'The Redis of STORE=redis (its password is never logged)',
    hint: REDIS_URL_HINT,
  }),
  REDIS_PREFIX: Type.String({
    // RedisStore's DEFAULT_REDIS_PREFIX (stores/ may not be imported here).
    default: 'tributary:',
    // With glob characters (or `\\`, their escape) a key pattern built from it (`SCAN MATCH <prefix>*`)
    // would match other applications' keys too.
    pattern: `^[^\\s\\x00-\\x1f\\x7f*?\\[\\]\\\\]{1,${MAX_REDIS_PREFIX}}$`,
    description: 'Prefix of every key Tributary writes in Redis; keys under other prefixes are never touched',
    hint: `1 to ${MAX_REDIS_PREFIX} characters without spaces, control characters or * ? [ ] \\`,
  }),
  RAG_URL: Url('RAG backend; a demo backend is started when unset'),
  EXAM_URL: Url('Exam generator backend; a demo backend is started when unset'),
  LLM_URL: Url('OpenAI-compatible chat completions endpoint for the LLM planner and the tools’ ctx.llm'),
  LLM_MODEL: Type.Optional(
    Type.String({
      pattern: '^[\\x21-\\x7e]{1,256}$',
      description: 'Model the tools’ ctx.llm asks for when a request names none',
      hint: '1 to 256 printable characters without spaces (llama3.1:8b, gpt-4o-mini)',
    }),
  ),
  LLM_API_KEY: Type.Optional(
    Type.String({
      pattern: '^[\\x21-\\x7e]{1,4096}$',
      description: 'Bearer token sent to LLM_URL; never logged or shown',
      hint: '1 to 4096 printable characters without spaces',
    }),
  ),
  LLM_RECORD_CONTENT: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description:
      'Record prompts and completions on the model call spans (gen_ai.input.messages, gen_ai.output.messages), redacted',
  }),
  INTERNAL_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'Token for POST /v1/progress' })),
  API_KEYS: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9._~-]{8,}:[A-Za-z0-9._@-]{1,128}(,[A-Za-z0-9._~-]{8,}:[A-Za-z0-9._@-]{1,128})*$',
      description: 'API keys and their users',
      hint: 'key:user pairs, comma separated, keys of 8 or more characters (k3y-0001:ann,k3y-0002:bob)',
    }),
  ),
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'Origins allowed to call the API from a browser, comma separated (* for any)',
  }),
  BODY_LIMIT: Type.String({
    default: '1mb',
    pattern: '^[0-9]+(b|kb|mb)?$',
    description: 'Largest request body',
    hint: 'a size like 1048576, 512kb or 1mb',
  }),
  CHECKPOINT_KEY: Type.Optional(
    Type.String({
      pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$',
      description: 'AES-256-GCM key for checkpoints',
      hint: '32 bytes as 64 hex characters or 44 base64 characters',
    }),
  ),
  JAEGER_UI_URL: Type.String({ default: 'http://localhost:16686', ...HTTP_URL }),
  METRICS_PROMETHEUS: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'Serve OpenTelemetry metrics for Prometheus at GET /metrics on the gateway port',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  PLUGINS: Type.String({ default: '', description: 'Module paths or package names, comma separated' }),
  RATE_LIMIT: Type.Optional(
    Type.String({
      pattern: `^[1-9][0-9]{0,8}/(${Object.keys(RATE_WINDOWS).join('|')})$`,
      description:
        'Requests per API key (per client IP on an open gateway) in a fixed window; unset: no limit',
      hint: 'requests per window, like 100/min, 10/s or 5000/hour (s, sec, second, min, minute, h, hour)',
    }),
  ),
  WEBHOOK_SECRET: Type.Optional(
    Type.String({
      pattern: WEBHOOK_SECRET_PATTERN,
      description:
        'Key completion webhooks are signed with (HMAC-SHA256); unset: runs with a webhook are refused',
      hint: 'whsec_ and a key of 24 bytes or more in base64 (whsec_$(openssl rand -base64 32))',
    }),
  ),
  WEBHOOK_ALLOW_PRIVATE: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'Let webhooks reach loopback, private and link-local addresses (local development only)',
  }),
  WEBHOOK_TIMEOUT_MS: Int(100, 120_000, 10_000, 'How long one webhook attempt waits for an answer'),
  WEBHOOK_RETRY_FIRST_MS: Int(
    10,
    60_000,
    1_000,
    'Wait after a failed webhook attempt; doubled after each (at most a minute)',
  ),
  WEBHOOK_RETRY_FOR_MS: Int(
    0,
    86_400_000,
    900_000,
    'No webhook attempt starts later than this after the first (0: one attempt)',
  ),
});

/** Settings whose values never appear in an error message or a log line. */
const SECRET_SETTINGS = new Set([
  'API_KEYS',
  'CHECKPOINT_KEY',
  'INTERNAL_TOKEN',
  'WEBHOOK_SECRET',
  'LLM_API_KEY',
]);
/** Settings that may carry credentials in their URL: shown without them (see {@link redactUrl}). */
const URL_SETTINGS = new Set(['REDIS_URL', 'RAG_URL', 'EXAM_URL', 'LLM_URL', 'JAEGER_UI_URL']);

type RawConfig = Static<typeof ConfigSchema>;

/** Validated settings, with list-like values parsed. */
export interface Config extends Omit<
  RawConfig,
  | 'API_KEYS'
  | 'BODY_LIMIT'
  | 'CHECKPOINT_KEY'
  | 'PLUGINS'
  | 'CORS_ORIGINS'
  | 'METRICS_PROMETHEUS'
  | 'RATE_LIMIT'
  | 'WEBHOOK_SECRET'
  | 'WEBHOOK_ALLOW_PRIVATE'
  | 'LLM_RECORD_CONTENT'
> {
  CORS_ORIGINS: readonly string[];
  /** API key to user id; empty when the gateway runs open. */
  API_KEYS: ReadonlyMap<string, string>;
  BODY_LIMIT: number;
  CHECKPOINT_KEY: Buffer | undefined;
  PLUGINS: readonly string[];
  METRICS_PROMETHEUS: boolean;
  /** At most `points` counted requests per caller in each window of `seconds`; undefined: no limit. */
  RATE_LIMIT: RateLimit | undefined;
  /** The HMAC key of completion webhooks (WEBHOOK_SECRET decoded); undefined: webhooks are off. */
  WEBHOOK_SECRET: Buffer | undefined;
  WEBHOOK_ALLOW_PRIVATE: boolean;
  LLM_RECORD_CONTENT: boolean;
}

/** A parsed RATE_LIMIT: `100/min` is `{ points: 100, seconds: 60 }`. */
export interface RateLimit {
  readonly points: number;
  readonly seconds: number;
}

/**
 * Reads and validates the settings; a bad value throws CONFIG_INVALID naming the variable.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env);          // throws on PORT=abc
 * const test = loadConfig({ STORE: 'memory', CONCURRENCY_LIMIT: '2' });
 * ```
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(ConfigSchema.properties)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    const text = value.trim();
    // Decimal integers only: Value.Convert would silently turn `1.5`, `1e3`, `0x10` or `true` into 1, 1, 16 or 1.
    raw[key] = (schema as TSchema).type === 'integer' && /^[+-]?[0-9]+$/.test(text) ? Number(text) : text;
  }
  const withDefaults = Value.Default(ConfigSchema, raw);
  const problems = [...Value.Errors(ConfigSchema, withDefaults)].map((error) => {
    const name = error.path.replace(/^\//, '') || '(config)';
    return { field: name, message: `${name}: ${describe(error.schema, error.message)}${given(name, raw)}` };
  });
  const redisUrl = raw.REDIS_URL;
  if (
    typeof redisUrl === 'string' &&
    !problems.some((p) => p.field === 'REDIS_URL') &&
    !isRedisUrl(redisUrl)
  ) {
    problems.push({
      field: 'REDIS_URL',
      message: `REDIS_URL: expected ${REDIS_URL_HINT}${given('REDIS_URL', raw)}`,
    });
  }
  const { ROLE: role, STORE: store } = withDefaults as Record<string, unknown>;
  if (
    role !== 'all' &&
    !problems.some((p) => p.field === 'ROLE' || p.field === 'STORE') &&
    store !== 'redis'
  ) {
    // api and worker processes hand runs to each other through Redis: on another store the runs an
    // api node accepts would never execute (or a worker would have nothing to take).
    problems.push({
      field: 'ROLE',
      message: `ROLE: ${JSON.stringify(role)} needs STORE=redis (api and worker processes share sessions and runs through Redis); with STORE=${String(store)} only ROLE=all works`,
    });
  }
  for (const name of ['LLM_MODEL', 'LLM_API_KEY']) {
    // Without an endpoint the model or key would be silently unused: a forgotten LLM_URL, most likely.
    if (raw[name] !== undefined && raw.LLM_URL === undefined && !problems.some((p) => p.field === name)) {
      problems.push({
        field: name,
        message: `${name}: needs LLM_URL (the chat completions endpoint) to be set`,
      });
    }
  }
  const first = problems[0];
  if (first) {
    throw new TributaryError('CONFIG_INVALID', problems.map((p) => p.message).join('; '), {
      field: first.field,
      details: { errors: problems },
    });
  }
  const valid = withDefaults as RawConfig;
  const duplicate = duplicateKeyUser(valid.API_KEYS);
  if (duplicate) {
    // The key itself is a secret: name the users it was given to instead.
    throw new TributaryError(
      'CONFIG_INVALID',
      `API_KEYS: one key is given twice (to ${duplicate.join(' and ')}); each key must belong to one user`,
      { field: 'API_KEYS' },
    );
  }
  return {
    ...valid,
    API_KEYS: parseApiKeys(valid.API_KEYS),
    BODY_LIMIT: parseBytes(valid.BODY_LIMIT),
    CHECKPOINT_KEY: parseKey(valid.CHECKPOINT_KEY),
    PLUGINS: list(valid.PLUGINS),
    CORS_ORIGINS: list(valid.CORS_ORIGINS),
    METRICS_PROMETHEUS: valid.METRICS_PROMETHEUS === 'true',
    RATE_LIMIT: parseRateLimit(valid.RATE_LIMIT),
    WEBHOOK_SECRET: valid.WEBHOOK_SECRET === undefined ? undefined : webhookKey(valid.WEBHOOK_SECRET),
    WEBHOOK_ALLOW_PRIVATE: valid.WEBHOOK_ALLOW_PRIVATE === 'true',
    LLM_RECORD_CONTENT: valid.LLM_RECORD_CONTENT === 'true',
  };
}

/** `, got "<value>"` for an error message: nothing for a secret, a URL without its credentials. */
function given(name: string, raw: Record<string, unknown>): string {
  if (SECRET_SETTINGS.has(name)) return '';
  const value = raw[name];
  return `, got ${JSON.stringify(URL_SETTINGS.has(name) && typeof value === 'string' ? redactUrl(value) : value)}`;
}

/**
 * What the pattern cannot say of a REDIS_URL: that it parses, with a host, a port of 1..65535 and a
 * database number as its path, so a typo stops the start instead of ioredis connecting somewhere else.
 */
function isRedisUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.hostname !== '' && url.port !== '0' && /^(\/[0-9]*)?$/.test(url.pathname);
}

function describe(schema: TSchema, fallback: string): string {
  if (schema.type === 'integer') return `expected an integer from ${schema.minimum} to ${schema.maximum}`;
  if (schema.anyOf) return `expected one of ${schema.anyOf.map((s: TSchema) => s.const).join(', ')}`;
  if (typeof schema.hint === 'string') return `expected ${schema.hint}`;
  return fallback;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** The users of the first key listed twice in API_KEYS, if one is. */
function duplicateKeyUser(value: string | undefined): [string, string] | undefined {
  const seen = new Map<string, string>();
  for (const pair of value ? value.split(',') : []) {
    const at = pair.indexOf(':');
    const [key, user] = [pair.slice(0, at), pair.slice(at + 1)];
    const earlier = seen.get(key);
    if (earlier !== undefined) return [earlier, user];
    seen.set(key, user);
  }
  return undefined;
}

/**
 * Variables Tributary reads outside {@link ConfigSchema}: the demo backends', the CLI's and
 * OpenTelemetry's (`OTEL_*`, read by the SDK itself).
 */
const OTHER_SETTINGS = [
  'DEMO_LATENCY_MS',
  'DEMO_FAILURE_RATE',
  'DEMO_HOST',
  'DEMO_RAG_PORT',
  'DEMO_EXAM_PORT',
  'TRIBUTARY_URL',
  'TRIBUTARY_API_KEY',
];

/**
 * Warnings for variables that look like settings but are none: a `TRIBUTARY_` name the platform does
 * not read, or a near miss of a setting's name (`CONCURENCY_LIMIT`), which would otherwise be
 * ignored in silence while the default applies.
 *
 * @example
 * ```ts
 * unknownSettings({ CONCURENCY_LIMIT: '8' });
 * // ['CONCURENCY_LIMIT is not a setting (did you mean CONCURRENCY_LIMIT?); it is ignored']
 * ```
 */
export function unknownSettings(env: Readonly<Record<string, string | undefined>>): string[] {
  const known = [...Object.keys(ConfigSchema.properties), ...OTHER_SETTINGS];
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name) || known.includes(name) || name.startsWith('OTEL_')) continue;
    const near = known.find((setting) => name.length >= 5 && editDistance(name, setting) <= 2);
    if (near) warnings.push(`${name} is not a setting (did you mean ${near}?); it is ignored`);
    else if (name.startsWith('TRIBUTARY_')) warnings.push(`${name} is not a setting; it is ignored`);
  }
  return warnings;
}

/** Levenshtein distance, for names of a few dozen characters. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function parseApiKeys(value: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  for (const pair of value ? value.split(',') : []) {
    const at = pair.indexOf(':');
    keys.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return keys;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

function parseBytes(value: string): number {
  const match = /^([0-9]+)(b|kb|mb)?$/.exec(value);
  return Number(match?.[1]) * (UNITS[match?.[2] ?? 'b'] ?? 1);
}

function parseRateLimit(value: string | undefined): RateLimit | undefined {
  if (!value) return undefined;
  const [points, unit] = value.split('/');
  return { points: Number(points), seconds: RATE_WINDOWS[unit!] ?? 60 };
}

function parseKey(value: string | undefined): Buffer | undefined {
  if (!value) return undefined;
  return value.length === 64 ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
}
