import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configError } from '../../fixtures/config-error.ts';
import { loadConfig, unknownSettings } from '../../../core/index.ts';
import { DEFAULT_REDIS_PREFIX } from '../../../stores/redis/redis-store.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('loadConfig defaults', () => {
  it('gives every default with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 3000,
      CONCURRENCY_LIMIT: 3,
      IDLE_AFTER_SECONDS: 1800,
      SESSION_TTL_SECONDS: 600,
      SWEEP_INTERVAL_SECONDS: 30,
      HISTORY_LIMIT: 200,
      MAX_SESSIONS_PER_USER: 100,
      SESSION_CAP_POLICY: 'reject',
      SHUTDOWN_TIMEOUT_MS: 10_000,
      DEFAULT_FLOW: 'auto',
      STORE: 'sqlite',
      ROLE: 'all',
      WORKER_CONCURRENCY: 3,
      RUN_ON_WORKER_LOSS: 'fail',
      WORKER_LOCK_MS: 30_000,
      WORKER_STALLED_INTERVAL_MS: 30_000,
      SQLITE_PATH: './data/tributary.db',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: DEFAULT_REDIS_PREFIX,
      BODY_LIMIT: 1024 * 1024,
      JAEGER_UI_URL: 'http://localhost:16686',
      LOG_LEVEL: 'info',
      PLUGINS: [],
    });
    expect(config.API_KEYS.size).toBe(0);
    expect(config.CHECKPOINT_KEY).toBeUndefined();
    expect(config.RAG_URL).toBeUndefined();
    expect(config.EXAM_URL).toBeUndefined();
    expect(config.LLM_URL).toBeUndefined();
    expect(config.INTERNAL_TOKEN).toBeUndefined();
    expect(config.RATE_LIMIT).toBeUndefined();
  });

  it('treats empty values as unset, trims values, and ignores variables it does not know', () => {
    const config = loadConfig({ PORT: '', STORE: ' memory ', CONCURRENCY_LIMIT: ' 7 ', UNRELATED: 'x' });
    expect(config.PORT).toBe(3000);
    expect(config.STORE).toBe('memory');
    expect(config.CONCURRENCY_LIMIT).toBe(7);
    expect(config).not.toHaveProperty('UNRELATED');
  });

  it('reads good values of every kind', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      PORT: '0',
      CONCURRENCY_LIMIT: '1000',
      MAX_SESSIONS_PER_USER: '0',
      SESSION_CAP_POLICY: 'evict',
      STORE: 'memory',
      RAG_URL: 'https://rag.example/search',
      LOG_LEVEL: 'debug',
      DEFAULT_FLOW: 'grade_2',
      INTERNAL_TOKEN: '0123456789abcdef',
    });
    expect(config).toMatchObject({
      HOST: '0.0.0.0',
      PORT: 0,
      CONCURRENCY_LIMIT: 1000,
      MAX_SESSIONS_PER_USER: 0,
      SESSION_CAP_POLICY: 'evict',
      STORE: 'memory',
      RAG_URL: 'https://rag.example/search',
      LOG_LEVEL: 'debug',
      DEFAULT_FLOW: 'grade_2',
      INTERNAL_TOKEN: '0123456789abcdef',
    });
  });
});

describe('the Redis settings', () => {
  it('reads STORE=redis with a REDIS_URL of every form ioredis takes, and a REDIS_PREFIX', () => {
    for (const url of [
      'redis://cache',
      'redis://cache:6380/2',
      'rediss://default:s3cret@cache.example:6380',
      'redis://:s3cret@10.0.0.5:6379/0',
      'redis://[::1]:6379',
      'redis://cache:6379?family=6',
    ]) {
      expect(loadConfig({ STORE: 'redis', REDIS_URL: url, REDIS_PREFIX: 'app-1:tributary:' })).toMatchObject({
        STORE: 'redis',
        REDIS_URL: url,
        REDIS_PREFIX: 'app-1:tributary:',
      });
    }
  });

  it('takes a REDIS_PREFIX of up to 128 characters, such as a test’s own `tributary-test:<uuid>:`', () => {
    expect(loadConfig({ REDIS_PREFIX: 'x'.repeat(128) }).REDIS_PREFIX).toHaveLength(128);
    const own = `tributary-test:${randomUUID()}:`;
    expect(loadConfig({ REDIS_PREFIX: own }).REDIS_PREFIX).toBe(own);
  });

  it.each([
    ['redis://ann:s3cret-pw@cache:99999', 'redis://[redacted]@cache:99999'],
    ['redis://:s3cret-pw@cache/x', 'redis://[redacted]@cache/x'],
    ['http://ann:s3cret-pw@cache', 'http://[redacted]@cache'],
    ['ann:s3cret-pw@cache:6379', '[redacted]@cache:6379'],
    ['redis://ann:s3cret pw@cache', 'redis://[redacted]@cache'],
    ['redis://cache:6379/x?password=s3cret-pw', 'redis://cache:6379/x?password=[redacted]'],
  ])('a bad REDIS_URL is shown without its password: %s', (url, shown) => {
    const error = configError({ REDIS_URL: url });
    expect(error.field).toBe('REDIS_URL');
    expect(error.message).toMatch(/^REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(error.message).toContain(`got ${JSON.stringify(shown)}`);
    const everything = `${error.message} ${JSON.stringify(error.details)} ${String(error.stack)}`;
    expect(everything).not.toContain('s3cret');
  });

  it('a near miss of a Redis setting is warned about', () => {
    expect(unknownSettings({ REDIS_PREFX: 'x:', REDIS_URI: 'redis://cache' })).toEqual([
      'REDIS_PREFX is not a setting (did you mean REDIS_PREFIX?); it is ignored',
      'REDIS_URI is not a setting (did you mean REDIS_URL?); it is ignored',
    ]);
  });
});

describe('the process role and worker settings', () => {
  it.each(['all', 'api', 'worker'] as const)('reads ROLE=%s with STORE=redis', (role) => {
    expect(loadConfig({ STORE: 'redis', ROLE: role }).ROLE).toBe(role);
  });

  it('reads the worker settings at both ends of their ranges', () => {
    const low = { WORKER_CONCURRENCY: '1', WORKER_LOCK_MS: '1000', WORKER_STALLED_INTERVAL_MS: '500' };
    expect(loadConfig({ ...low, RUN_ON_WORKER_LOSS: 'retry' })).toMatchObject({
      WORKER_CONCURRENCY: 1,
      WORKER_LOCK_MS: 1000,
      WORKER_STALLED_INTERVAL_MS: 500,
      RUN_ON_WORKER_LOSS: 'retry',
    });
    const high = {
      WORKER_CONCURRENCY: '1000',
      WORKER_LOCK_MS: '600000',
      WORKER_STALLED_INTERVAL_MS: '600000',
    };
    expect(loadConfig({ ...high, RUN_ON_WORKER_LOSS: 'fail' })).toMatchObject({
      WORKER_CONCURRENCY: 1000,
      WORKER_LOCK_MS: 600_000,
      WORKER_STALLED_INTERVAL_MS: 600_000,
      RUN_ON_WORKER_LOSS: 'fail',
    });
  });

  it.each([
    ['api', {}, 'sqlite'],
    ['worker', {}, 'sqlite'],
    ['api', { STORE: 'memory' }, 'memory'],
    ['worker', { STORE: 'sqlite' }, 'sqlite'],
  ])('refuses ROLE=%s without STORE=redis (%j), naming ROLE and why', (role, env, store) => {
    const error = configError({ ...env, ROLE: role });
    expect(error.field).toBe('ROLE');
    expect(error.message).toBe(
      `ROLE: "${role}" needs STORE=redis (api and worker processes share sessions and runs through Redis); with STORE=${store} only ROLE=all works`,
    );
    expect(error.details).toMatchObject({ errors: [{ field: 'ROLE' }] });
  });

  it('ROLE=all takes every store', () => {
    for (const STORE of ['sqlite', 'memory', 'redis'])
      expect(loadConfig({ STORE, ROLE: 'all' }).ROLE).toBe('all');
  });

  it('a bad STORE is named alone, not also as a reason to refuse the role', () => {
    const error = configError({ STORE: 'mongo', ROLE: 'worker' });
    expect((error.details?.errors as { field: string }[]).map((e) => e.field)).toEqual(['STORE']);
  });

  it('a near miss of a worker setting is warned about', () => {
    expect(
      unknownSettings({
        WORKER_CONCURENCY: '8',
        RUN_ON_WORKER_LOS: 'retry',
        WORKER_LOK_MS: '1000',
        WORKER_STALED_INTERVAL_MS: '500',
        ROLES: 'api',
      }),
    ).toEqual([
      'WORKER_CONCURENCY is not a setting (did you mean WORKER_CONCURRENCY?); it is ignored',
      'RUN_ON_WORKER_LOS is not a setting (did you mean RUN_ON_WORKER_LOSS?); it is ignored',
      'WORKER_LOK_MS is not a setting (did you mean WORKER_LOCK_MS?); it is ignored',
      'WORKER_STALED_INTERVAL_MS is not a setting (did you mean WORKER_STALLED_INTERVAL_MS?); it is ignored',
      'ROLES is not a setting (did you mean ROLE?); it is ignored',
    ]);
    expect(
      unknownSettings({
        ROLE: 'all',
        WORKER_CONCURRENCY: '3',
        RUN_ON_WORKER_LOSS: 'fail',
        WORKER_LOCK_MS: '30000',
        WORKER_STALLED_INTERVAL_MS: '30000',
      }),
    ).toEqual([]);
  });
});

describe('loadConfig rejects bad values with CONFIG_INVALID naming the variable', () => {
  it.each([
    ['HOST', '   '],
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '1e3'],
    ['PORT', '0x10'],
    ['CONCURRENCY_LIMIT', '0'],
    ['CONCURRENCY_LIMIT', '1.5'],
    ['CONCURRENCY_LIMIT', 'true'],
    ['IDLE_AFTER_SECONDS', '0'],
    ['SESSION_TTL_SECONDS', 'ten'],
    ['SWEEP_INTERVAL_SECONDS', '86401'],
    ['HISTORY_LIMIT', 'x'],
    ['MAX_SESSIONS_PER_USER', '-1'],
    ['SHUTDOWN_TIMEOUT_MS', '2.5'],
    ['STORE', 'mongo'],
    ['SESSION_CAP_POLICY', 'drop'],
    ['DEFAULT_FLOW', 'Bad-Name'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['REDIS_URL', '127.0.0.1:6379'],
    ['REDIS_URL', 'redis://'],
    ['REDIS_URL', 'redis://has space:6379'],
    ['REDIS_URL', 'redis://cache:99999'],
    ['REDIS_URL', 'redis://cache:0'],
    ['REDIS_URL', 'redis://cache:port'],
    ['REDIS_URL', 'redis://cache:6379/zero'],
    ['REDIS_URL', 'redis://:6379'],
    ['REDIS_PREFIX', 'my app:'],
    ['REDIS_PREFIX', 'app\ttab:'],
    ['REDIS_PREFIX', 'app*:'],
    ['REDIS_PREFIX', 'app?:'],
    ['REDIS_PREFIX', 'app[1]:'],
    ['REDIS_PREFIX', 'app\\:'],
    ['REDIS_PREFIX', 'app\u0000:'],
    ['REDIS_PREFIX', 'x'.repeat(129)],
    ['RAG_URL', 'ftp://x'],
    ['EXAM_URL', 'exam.local'],
    ['LLM_URL', 'http://has space'],
    ['JAEGER_UI_URL', 'localhost:16686'],
    ['INTERNAL_TOKEN', 'short'],
    ['API_KEYS', 'short:u'],
    ['API_KEYS', 'longenough-key'],
    ['CHECKPOINT_KEY', 'zz'],
    ['CHECKPOINT_KEY', 'a1'.repeat(31)],
    ['BODY_LIMIT', '1gb'],
    ['BODY_LIMIT', '-5'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT', '100'],
    ['RATE_LIMIT', '0/min'],
    ['RATE_LIMIT', '-5/min'],
    ['RATE_LIMIT', '1.5/s'],
    ['RATE_LIMIT', '100/day'],
    ['RATE_LIMIT', '100 / min'],
    ['RATE_LIMIT', '100/MIN'],
    ['RATE_LIMIT', '/min'],
    ['RATE_LIMIT', '1234567890/s'],
    ['ROLE', 'both'],
    ['ROLE', 'Worker'],
    ['ROLE', 'api,worker'],
    ['WORKER_CONCURRENCY', '0'],
    ['WORKER_CONCURRENCY', '1001'],
    ['WORKER_CONCURRENCY', '2.5'],
    ['WORKER_CONCURRENCY', 'many'],
    ['RUN_ON_WORKER_LOSS', 'requeue'],
    ['RUN_ON_WORKER_LOSS', 'FAIL'],
    ['WORKER_LOCK_MS', '999'],
    ['WORKER_LOCK_MS', '600001'],
    ['WORKER_LOCK_MS', '30s'],
    ['WORKER_STALLED_INTERVAL_MS', '499'],
    ['WORKER_STALLED_INTERVAL_MS', '600001'],
    ['WORKER_STALLED_INTERVAL_MS', '1e4'],
  ])('%s=%s', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.field).toBe(name);
    expect(error.kind).toBe('internal');
    expect(
      error.message.startsWith(`${name}: expected`) || error.message.startsWith(`${name}: Expected`),
    ).toBe(true);
    expect(error.details).toMatchObject({ errors: [{ field: name }] });
  });

  it('says what it expected and what it got (for settings that are not secret)', () => {
    expect(configError({ PORT: 'abc' }).message).toBe('PORT: expected an integer from 0 to 65535, got "abc"');
    expect(configError({ STORE: 'mongo' }).message).toBe(
      'STORE: expected one of sqlite, memory, redis, got "mongo"',
    );
    expect(configError({ BODY_LIMIT: '1gb' }).message).toContain('512kb or 1mb');
    expect(configError({ ROLE: 'both' }).message).toBe('ROLE: expected one of all, api, worker, got "both"');
    expect(configError({ RUN_ON_WORKER_LOSS: 'requeue' }).message).toBe(
      'RUN_ON_WORKER_LOSS: expected one of fail, retry, got "requeue"',
    );
    expect(configError({ WORKER_CONCURRENCY: '0' }).message).toBe(
      'WORKER_CONCURRENCY: expected an integer from 1 to 1000, got 0',
    );
    expect(configError({ WORKER_LOCK_MS: '999' }).message).toBe(
      'WORKER_LOCK_MS: expected an integer from 1000 to 600000, got 999',
    );
    expect(configError({ WORKER_STALLED_INTERVAL_MS: '499' }).message).toBe(
      'WORKER_STALLED_INTERVAL_MS: expected an integer from 500 to 600000, got 499',
    );
  });

  it('lists every bad variable, the first one as the field', () => {
    const error = configError({ PORT: 'abc', STORE: 'mongo', LOG_LEVEL: 'loud' });
    expect(error.field).toBe('PORT');
    expect(error.message).toContain('PORT:');
    expect(error.message).toContain('STORE:');
    expect(error.message).toContain('LOG_LEVEL:');
    expect((error.details?.errors as { field: string }[]).map((e) => e.field)).toEqual([
      'PORT',
      'STORE',
      'LOG_LEVEL',
    ]);
  });

  it.each([
    ['CHECKPOINT_KEY', 'my-very-secret-checkpoint-key'],
    ['API_KEYS', 'sup3rs3cretk3y'],
    ['API_KEYS', 'sup3rs3cretk3y:ann,x:bob'],
    ['INTERNAL_TOKEN', 'tinys3cret'],
  ])('never shows the value of the secret %s', (name, secret) => {
    const error = configError({ [name]: secret, PORT: 'abc' });
    expect(error.message).toContain(`${name}:`);
    const everything = `${error.message} ${JSON.stringify(error.details)} ${String(error.stack)}`;
    expect(everything).not.toContain(secret);
    for (const part of secret.split(/[:,]/).filter((p) => p.length > 3))
      expect(everything).not.toContain(part);
  });

  it('never shows valid secrets either when another setting is bad', () => {
    const secrets = {
      CHECKPOINT_KEY: 'c0'.repeat(32),
      API_KEYS: 'k3y-0001-secret:ann',
      INTERNAL_TOKEN: 'internal-token-0123456789',
    };
    const error = configError({ ...secrets, PORT: 'abc' });
    for (const value of Object.values(secrets)) expect(error.message).not.toContain(value);
    expect(JSON.stringify(error.details)).not.toContain('k3y-0001-secret');
  });
});

describe('loadConfig parses list-like values', () => {
  it('API_KEYS into a key to user map', () => {
    const config = loadConfig({ API_KEYS: 'k3y-0001:ann,k3y-0002:bob,k3y.0003~x:carol@example.org' });
    expect([...config.API_KEYS]).toEqual([
      ['k3y-0001', 'ann'],
      ['k3y-0002', 'bob'],
      ['k3y.0003~x', 'carol@example.org'],
    ]);
  });

  it.each([
    ['1048576', 1_048_576],
    ['100b', 100],
    ['512kb', 512 * 1024],
    ['2mb', 2 * 1024 * 1024],
    ['0', 0],
  ])('BODY_LIMIT=%s is %d bytes', (value, bytes) => {
    expect(loadConfig({ BODY_LIMIT: value }).BODY_LIMIT).toBe(bytes);
  });

  it('CHECKPOINT_KEY from 64 hex characters or 44 base64 characters, to the same 32 bytes', () => {
    const bytes = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
    const fromHex = loadConfig({ CHECKPOINT_KEY: bytes.toString('hex').toUpperCase() }).CHECKPOINT_KEY;
    const fromBase64 = loadConfig({ CHECKPOINT_KEY: bytes.toString('base64') }).CHECKPOINT_KEY;
    expect(bytes.toString('base64')).toHaveLength(44);
    expect(fromHex).toEqual(bytes);
    expect(fromBase64).toEqual(bytes);
    expect(fromHex?.length).toBe(32);
  });

  it.each([
    ['100/min', 100, 60],
    ['100/minute', 100, 60],
    ['10/s', 10, 1],
    ['10/sec', 10, 1],
    ['1/second', 1, 1],
    ['5000/h', 5000, 3600],
    [' 5000/hour ', 5000, 3600],
  ])('RATE_LIMIT=%s is %d requests in %d s', (value, points, seconds) => {
    expect(loadConfig({ RATE_LIMIT: value }).RATE_LIMIT).toEqual({ points, seconds });
  });

  it('RATE_LIMIT: a bad value says which forms it takes', () => {
    expect(configError({ RATE_LIMIT: '100/day' }).message).toBe(
      'RATE_LIMIT: expected requests per window, like 100/min, 10/s or 5000/hour (s, sec, second, min, minute, h, hour), got "100/day"',
    );
  });

  it('PLUGINS as a trimmed list without empty entries', () => {
    expect(loadConfig({ PLUGINS: ' ./plugins/a.ts , @acme/tributary-b,, c ' }).PLUGINS).toEqual([
      './plugins/a.ts',
      '@acme/tributary-b',
      'c',
    ]);
    expect(loadConfig({ PLUGINS: ',' }).PLUGINS).toEqual([]);
  });
});

describe('npm start with a bad setting', () => {
  it('exits 1 with a message naming the variable', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'platform/main.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', STORE: 'memory', PORT: 'abc' },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('CONFIG_INVALID');
    expect(result.stderr).toContain('PORT: expected an integer from 0 to 65535, got "abc"');
  });
});
