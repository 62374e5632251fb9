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
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(read('deploy/compose.yaml')) as { services: Record<string, Service> };
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name} in deploy/compose.yaml`);
  return found;
};
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

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

  it('points the gateway at Jaeger and the demo backends with settings the platform accepts', () => {
    const gateway = service('gateway');
    const env = gateway.environment ?? {};
    const config = loadConfig(env);
    expect(config.HOST).toBe('0.0.0.0');
    expect(gateway.ports).toEqual([`${config.PORT}:${config.PORT}`]);
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
    expect(Object.keys(gateway.depends_on ?? {}).sort()).toEqual(['demo-backends', 'jaeger']);
    for (const name of ['gateway', 'demo-backends']) {
      expect(service(name).build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
    }
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
