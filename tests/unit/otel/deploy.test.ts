import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../core/index.ts';
import { readDemoEnv } from '../../../demo-backends/demo-env.ts';
import { readOtelSettings } from '../../../otel/index.ts';

// Docker cannot run here, so the deploy files are checked by reading them.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

// Compose merges `<<:` keys (the api and worker services merge one node definition); so does this parse.
const compose = parse(read('deploy/compose.yaml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const API_NODES = ['api-1', 'api-2'];
const WORKERS = ['worker-1', 'worker-2'];
const NODES = [...API_NODES, ...WORKERS];
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name} in deploy/compose.yaml`);
  return found;
};
const environment = (name: string): Record<string, string> => service(name).environment ?? {};
/** The settings `a` and `b` set differently (or only one of them sets), sorted. */
const differing = (a: Record<string, string>, b: Record<string, string>): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => a[key] !== b[key]).sort();
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

/**
 * What the tests need of deploy/nginx.conf, read as nginx does at this depth: comments dropped,
 * directives split on `;` and braces, each block found by its head.
 */
const nginx = (() => {
  const text = read('deploy/nginx.conf').replace(/#.*$/gm, '');
  const block = (head: string): string[] => {
    const start = text.search(new RegExp(`${head}\\s*\\{`));
    if (start === -1) throw new Error(`no ${head} block in deploy/nginx.conf`);
    const open = text.indexOf('{', start);
    let depth = 0;
    for (let i = open; i < text.length; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0)
        return text
          .slice(open + 1, i)
          .split(/[;{}]/)
          .map((d) => d.trim().replace(/\s+/g, ' '))
          .filter(Boolean);
    }
    throw new Error(`unclosed ${head} block in deploy/nginx.conf`);
  };
  const upstreamName = /upstream\s+(\S+)\s*\{/.exec(text)?.[1] ?? '';
  const location = block('location /');
  return {
    upstream: { name: upstreamName, directives: block(`upstream ${upstreamName}`) },
    map: block('map \\$http_upgrade \\$connection_upgrade'),
    location,
    listen: Number(/^listen (\d+)$/m.exec(block('server').join('\n'))?.[1]),
    proxyPass: /^proxy_pass http:\/\/(\S+)$/m.exec(location.join('\n'))?.[1],
  };
})();

describe('deploy/compose.yaml', () => {
  it('has Jaeger all-in-one with OTLP/HTTP on 4318 and the UI on 16686', () => {
    const jaeger = service('jaeger');
    expect(jaeger.image).toMatch(/^jaegertracing\/all-in-one:\d+\.\d+\.\d+$/);
    expect(jaeger.environment?.COLLECTOR_OTLP_ENABLED).toBe('true');
    expect(jaeger.ports).toEqual(expect.arrayContaining(['4318:4318', '16686:16686']));
  });

  it('runs the demo backends with npm run demo-backends, listening on the network on valid ports', () => {
    const demo = service('demo-backends');
    expect(demo.command).toEqual(['npm', 'run', 'demo-backends']);
    expect(packageJson.scripts['demo-backends']).toBeDefined();
    const env = readDemoEnv(demo.environment ?? {});
    expect(env.host).toBe('0.0.0.0');
    expect(demo.expose).toEqual([String(env.ragPort), String(env.examPort)]);
  });

  it.each(NODES)(
    'points %s at Redis, Jaeger and the demo backends with settings the platform accepts',
    (name) => {
      const node = service(name);
      const env = environment(name);
      const config = loadConfig(env);
      expect(config.HOST).toBe('0.0.0.0');
      // The API is published by the proxy only; workers take no requests.
      expect(node.ports).toBeUndefined();
      expect(config.STORE).toBe('redis');
      expect(config.REDIS_URL).toBe(`redis://redis:${service('redis').expose?.[0]}`);
      expect(config.REDIS_PREFIX).toBe('tributary:');
      const demo = readDemoEnv(service('demo-backends').environment ?? {});
      expect(config.RAG_URL).toBe(`http://demo-backends:${demo.ragPort}`);
      expect(config.EXAM_URL).toBe(`http://demo-backends:${demo.examPort}`);
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
      expect(readOtelSettings(env)).toMatchObject({
        tracing: true,
        prometheus: true,
        protocol: 'http/protobuf',
      });
      expect(config.JAEGER_UI_URL).toBe('http://localhost:16686');
      expect(node.depends_on).toEqual({
        jaeger: { condition: 'service_started' },
        'demo-backends': { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
      for (const built of [name, 'demo-backends']) {
        expect(service(built).build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      }
    },
  );

  it.each(API_NODES)('runs %s as an API node, reachable on its port inside the network', (name) => {
    const config = loadConfig(environment(name));
    expect(config.ROLE).toBe('api');
    expect(service(name).expose).toEqual([String(config.PORT)]);
  });

  it.each(WORKERS)('runs %s as a worker that publishes nothing and passes the image healthcheck', (name) => {
    const worker = service(name);
    const config = loadConfig(environment(name));
    expect(config.ROLE).toBe('worker');
    expect(environment(name).WORKER_CONCURRENCY).toBe(String(config.WORKER_CONCURRENCY));
    expect(worker.ports).toBeUndefined();
    expect(worker.expose).toBeUndefined();
    // No healthcheck of its own: the image's probes /healthz on PORT, which a worker serves.
    expect(worker.healthcheck).toBeUndefined();
    const healthcheck = read('deploy/Dockerfile').replace(/\\\n/g, ' ');
    expect(healthcheck).toMatch(/^HEALTHCHECK .*process\.env\.PORT.*\/healthz/m);
  });

  it('gives every node the same settings, apart from ROLE and a worker’s WORKER_CONCURRENCY', () => {
    const [first = '', ...others] = API_NODES;
    for (const name of others) expect(differing(environment(first), environment(name)), name).toEqual([]);
    for (const name of WORKERS)
      expect(differing(environment(first), environment(name)), name).toEqual(['ROLE', 'WORKER_CONCURRENCY']);
    // The same dependencies and build too: only the environment (and an API node's expose) differ.
    const definition = (name: string) =>
      Object.fromEntries(
        Object.entries(service(name)).filter(([key]) => !['environment', 'expose'].includes(key)),
      );
    for (const name of NODES) expect(definition(name), name).toEqual(definition(first));
    const onImage = Object.entries(services).filter(([, s]) => s.image === 'tributary:local');
    expect(onImage.map(([name]) => name).sort()).toEqual(['demo-backends', ...NODES].sort());
  });

  it('sets the cluster-wide run settings explicitly: one global limit the workers can reach, fail on worker loss', () => {
    const env = environment(API_NODES[0] ?? '');
    // Explicit, not defaults: every node sets the queue's global concurrency when it starts.
    expect(env.CONCURRENCY_LIMIT).toBeDefined();
    expect(env.RUN_ON_WORKER_LOSS).toBe('fail');
    const limit = loadConfig(env).CONCURRENCY_LIMIT;
    const slots = WORKERS.reduce((sum, name) => sum + loadConfig(environment(name)).WORKER_CONCURRENCY, 0);
    expect(slots).toBeGreaterThanOrEqual(limit);
    const text = read('deploy/compose.yaml');
    expect(text).toMatch(/#.*global limit/i);
    expect(text).toMatch(/#.*WORKER_LOCK_MS \+ WORKER_STALLED_INTERVAL_MS/);
  });

  it('has Redis 7 with AOF fsynced every second on a named volume, healthy once it answers', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7(\.|$)/);
    const command = (redis.command ?? []).join(' ');
    expect(command).toMatch(/^redis-server /);
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--appendfsync everysec');
    expect(redis.expose).toEqual(['6379']);
    const [volume = ''] = redis.volumes ?? [];
    expect(volume).toMatch(/^[a-z-]+:\/data$/);
    expect(Object.keys(compose.volumes ?? {})).toContain(volume.split(':')[0]);
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(redis.ports).toBeUndefined();
  });

  it('puts nginx on the one published port, after both API nodes are healthy, with its config mounted', () => {
    const proxy = service('proxy');
    expect(proxy.image).toMatch(/^nginx:\d+\.\d+/);
    expect(proxy.depends_on).toEqual(
      Object.fromEntries(API_NODES.map((name) => [name, { condition: 'service_healthy' }])),
    );
    expect(proxy.ports).toEqual([`3000:${nginx.listen}`]);
    expect(proxy.volumes).toEqual(['./nginx.conf:/etc/nginx/conf.d/default.conf:ro']);
    // Nothing else publishes the API.
    const published = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(published.filter((p) => p.startsWith('3000:'))).toHaveLength(1);
    expect(read('deploy/compose.yaml')).toMatch(/#.*ip_hash/);
  });

  it('names only services and volumes it defines', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const needed of Object.keys(s.depends_on ?? {}))
        expect(services, `${name} needs ${needed}`).toHaveProperty(needed);
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (!source.startsWith('.')) expect(Object.keys(compose.volumes ?? {}), name).toContain(source);
        else expect(existsSync(`${ROOT}deploy/${source}`), source).toBe(true);
      }
    }
  });
});

describe('deploy/nginx.conf', () => {
  it('balances the API nodes (not the workers) with ip_hash, so Socket.IO long-polling stays on one', () => {
    expect(nginx.upstream.name).toBe(nginx.proxyPass);
    expect(nginx.upstream.directives).toContain('ip_hash');
    const servers = nginx.upstream.directives.filter((d) => d.startsWith('server '));
    expect(servers).toEqual(API_NODES.map((name) => `server ${name}:${loadConfig(environment(name)).PORT}`));
  });

  it('passes WebSocket upgrades and streams answers unbuffered', () => {
    expect(nginx.location).toEqual(
      expect.arrayContaining([
        'proxy_http_version 1.1',
        'proxy_set_header Upgrade $http_upgrade',
        'proxy_set_header Connection $connection_upgrade',
        'proxy_buffering off',
      ]),
    );
    expect(nginx.map).toEqual(['default upgrade', "'' close"]);
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = read('deploy/Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('builds on node:20-bookworm-slim with npm ci and runs as a non-root user', () => {
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(1);
    for (const from of froms) expect(from).toMatch(/^FROM node:20-bookworm-slim\b/);
    expect(instructions.some((line) => line.startsWith('RUN npm ci'))).toBe(true);
    const lastFrom = instructions.lastIndexOf(froms.at(-1)!);
    const user = instructions.slice(lastFrom).find((line) => line.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
  });

  it('starts the gateway the way npm start does, with the OpenTelemetry hook', () => {
    const cmd = instructions.filter((line) => line.startsWith('CMD ')).at(-1) ?? '';
    const args = JSON.parse(cmd.slice('CMD '.length)) as string[];
    // npm start execs node (so signals reach it); the container runs node as PID 1 directly.
    expect(['exec', 'node', ...args.slice(1)].join(' ')).toBe(packageJson.scripts.start);
    expect(args).toEqual(['node', '--import', 'tsx', '--import', './otel/register.ts', 'platform/main.ts']);
    for (const path of ['otel/register.ts', 'platform/main.ts'])
      expect(existsSync(`${ROOT}${path}`)).toBe(true);
  });

  it('keeps node_modules and local data out of the build context', () => {
    const ignored = read('deploy/Dockerfile.dockerignore').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'data', '.git', '.env']));
  });
});
