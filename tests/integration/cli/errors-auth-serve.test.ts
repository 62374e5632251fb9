import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestPrefix } from '../../fixtures/redis-prefix.ts';
import { cli, cliInProcess, CliProcess, closedPort, usePlatform } from './cli.ts';

const KEY = 'ann-key-00000001';

describe('tributary usage and connection errors', () => {
  it('--help lists the commands (exit 0); --version prints the package version', async () => {
    const help = await cliInProcess(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'run', 'sessions', 'events', 'cancel', 'plugin'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(help.stdout).toContain('env: TRIBUTARY_URL');
    const version = await cliInProcess(['--version']);
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('a gateway that is not running: a clear error, exit 1 (from --url and from TRIBUTARY_URL)', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const expected = `error: cannot reach ${url}: is the server running? (tributary serve)\n`;
    expect(await cli(['--url', url, 'sessions', 'ls'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expected,
    });
    expect(await cli(['run', 'Quiz me', '--follow'], { env: { TRIBUTARY_URL: url } })).toMatchObject({
      code: 1,
      stderr: expected,
    });
  });

  it('bad options and arguments are usage errors naming what is wrong', async () => {
    // One through the real binary: commander's usage error becomes the process's exit code.
    const badUrl = await cli(['--url', 'localhost:3000', 'sessions', 'ls']);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/^error: option '--url <url>' argument 'localhost:3000' is invalid/);
    const noQuestion = await cliInProcess(['run']);
    expect(noQuestion.code).toBe(1);
    expect(noQuestion.stderr).toMatch(/^error: missing required argument 'question'/);
    const unknown = await cliInProcess(['sessions', 'lss']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command 'lss'[\s\S]*Did you mean ls\?/);
    const limit = await cliInProcess(['sessions', 'ls', '--limit', '1001']);
    expect(limit.code).toBe(1);
    expect(limit.stderr).toMatch(
      /'--limit <n>' argument '1001' is invalid\. must be an integer from 1 to 1000/,
    );
    const state = await cliInProcess(['sessions', 'ls', '--state', 'sleeping']);
    expect(state.code).toBe(1);
    expect(state.stderr).toMatch(/Allowed choices are active, idle, archived, expired/);
  });
});

describe('tributary against a gateway with API_KEYS', () => {
  const gw = usePlatform({ API_KEYS: `${KEY}:ann` });

  it('without a key: error: missing API key … (UNAUTHORIZED), exit 1; a wrong key is refused too', async () => {
    const missing = await cli(['--url', gw().url, 'sessions', 'ls']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: missing API key: .*\(UNAUTHORIZED\)\n$/);
    const wrong = await cli(['--url', gw().url, '--api-key', 'not-the-key', 'sessions', 'ls']);
    expect(wrong).toMatchObject({ code: 1, stderr: 'error: invalid API key (UNAUTHORIZED)\n' });
  });

  it('with --api-key or TRIBUTARY_API_KEY it works, over HTTP and over Socket.IO', async () => {
    const listed = await cli(['--url', gw().url, '--api-key', KEY, 'sessions', 'ls']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const followed = await cli(
      ['--url', gw().url, 'run', 'Quiz me on RxJS operators', '--follow', '--json'],
      {
        env: { TRIBUTARY_API_KEY: KEY },
      },
    );
    expect(followed.code).toBe(0);
    expect(JSON.parse(followed.stdout.trimEnd().split('\n').at(-1)!)).toMatchObject({
      type: 'run.completed',
    });
    const mine = await cli(['--url', gw().url, '--api-key', KEY, '--json', 'sessions', 'ls']);
    expect((JSON.parse(mine.stdout) as { items: Array<{ user_id: string }> }).items[0]!.user_id).toBe('ann');
  });
});

describe('tributary serve', () => {
  const redis = useTestPrefix();

  it('runs the platform like npm start and stops gracefully on SIGTERM', async () => {
    const serve = new CliProcess(['serve', '--port', '0'], { env: { STORE: 'memory', LOG_LEVEL: 'info' } });
    await serve.waitFor(/tributary running at (http:\/\/\S+) /);
    const url = serve.stdout.match(/tributary running at (http:\/\/\S+) /)![1]!;
    expect(await cli(['--url', url, 'sessions', 'ls'])).toMatchObject({ code: 0, stdout: 'no sessions\n' });
    serve.kill('SIGTERM');
    const { code, stdout } = await serve.exited;
    expect(code).toBe(0);
    expect(stdout).toContain('"msg":"shutting down"');
  });

  it('refuses a bad setting with its code, exit 1', async () => {
    const { code, stderr } = await cliInProcess(['serve'], {
      STORE: 'memory',
      CONCURRENCY_LIMIT: 'many',
      NO_COLOR: '1',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: .*CONCURRENCY_LIMIT.*\(CONFIG_INVALID\)\n$/);
  });

  it('--role sets ROLE, over the environment; a worker logs its role', async () => {
    const serve = new CliProcess(['serve', '--port', '0', '--role', 'worker'], {
      env: {
        STORE: 'redis',
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        ROLE: 'api',
        LOG_LEVEL: 'info',
      },
    });
    await serve.waitFor(/tributary running at (http:\/\/\S+) as a worker/, 60_000);
    const started = serve.stdout.split('\n').find((line) => line.includes('tributary running'))!;
    expect(JSON.parse(started)).toMatchObject({ role: 'worker', store: 'redis' });
    serve.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
  });

  it('refuses a bad --role as a usage error, and api or worker without STORE=redis with CONFIG_INVALID', async () => {
    const bad = await cliInProcess(['serve', '--role', 'boss'], { STORE: 'memory', NO_COLOR: '1' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^error: option '--role <role>' argument 'boss' is invalid\. Allowed choices are all, api, worker\./,
    );
    const memory = await cliInProcess(['serve', '--role', 'worker'], { STORE: 'memory', NO_COLOR: '1' });
    expect(memory.code).toBe(1);
    expect(memory.stderr).toMatch(/^error: ROLE: "worker" needs STORE=redis .*\(CONFIG_INVALID\)\n$/);
  });
});

describe('tributary plugin new', () => {
  const out = fileURLToPath(new URL('../../scaffold-out/', import.meta.url));
  mkdirSync(out, { recursive: true });
  const cwd = mkdtempSync(join(out, 'cli-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('scaffolds a plugin relative to the working directory, and refuses to overwrite it', async () => {
    const made = await cli(['plugin', 'new', 'stock_quote', '--dir', 'my-plugins'], { cwd });
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('wrote my-plugins/stock_quote/index.ts');
    expect(existsSync(join(cwd, 'my-plugins/stock_quote/index.ts'))).toBe(true);
    expect(existsSync(join(cwd, 'my-plugins/stock_quote/index.test.ts'))).toBe(true);
    const again = await cli(['plugin', 'new', 'stock_quote', '--dir', 'my-plugins'], { cwd });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists/);
  });

  it('a bad name or a missing one is an error', async () => {
    const bad = await cliInProcess(['plugin', 'new', 'Stock-Quote']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Stock-Quote/);
    const missing = await cliInProcess(['plugin', 'new']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/missing required argument 'name'/);
  });
});
