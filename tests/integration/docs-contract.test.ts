import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, EVENT_TYPES } from '../../core/index.ts';

/**
 * docs/contract.md against the code it describes: every setting with its real default, every event type,
 * every HTTP operation. A setting, type or route added without its line here fails, as does a stale one.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
let contract: string;
beforeAll(async () => {
  contract = await readFile(join(REPO, 'docs/contract.md'), 'utf8');
});

/** The rows of the first table after `heading`, as cells without their backticks. */
function tableAfter(heading: string): string[][] {
  const start = contract.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const lines = contract.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const code = (cell: string) => /^`([^`]+)`/.exec(cell)?.[1];

describe('docs/contract.md', () => {
  it('lists every setting of core/config.ts with its default', () => {
    const rows = new Map(
      tableAfter('## Configuration').map(([name = '', value = '']) => [code(name), value]),
    );
    for (const [name, schema] of Object.entries(ConfigSchema.properties as Record<string, TSchema>)) {
      expect(rows.has(name), `${name} is missing`).toBe(true);
      const given: unknown = schema.default;
      const expected = given === undefined ? 'unset' : given === '' ? 'empty' : `\`${String(given)}\``;
      expect(rows.get(name), name).toBe(expected);
    }
  });

  it('lists only settings something reads: core/config.ts, the demo backends, OTEL_* and the CLI', () => {
    const others = ['DEMO_LATENCY_MS', 'DEMO_FAILURE_RATE', 'DEMO_HOST', 'DEMO_RAG_PORT', 'DEMO_EXAM_PORT'];
    others.push('OTEL_*', 'TRIBUTARY_URL', 'TRIBUTARY_API_KEY');
    const known = new Set([...Object.keys(ConfigSchema.properties), ...others]);
    for (const [name = ''] of tableAfter('## Configuration')) expect(known, name).toContain(code(name));
  });

  it('has every server setting in .env.example too', async () => {
    const example = await readFile(join(REPO, '.env.example'), 'utf8');
    for (const name of [...Object.keys(ConfigSchema.properties), 'DEMO_LATENCY_MS', 'DEMO_FAILURE_RATE']) {
      expect(example, name).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
    }
  });

  it('describes exactly the event types of core/events/event.ts', () => {
    const listed = tableAfter('### Event types').map(([type = '']) => code(type));
    expect(listed).toEqual([...EVENT_TYPES]);
  });

  it('lists every operation of openapi/openapi.yaml, and no other', async () => {
    const spec = parse(await readFile(join(REPO, 'openapi/openapi.yaml'), 'utf8')) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    const operations = Object.values(spec.paths).flatMap((item) =>
      Object.values(item).flatMap((operation) => operation.operationId ?? []),
    );
    const listed = tableAfter('## HTTP API').map(([operation = '']) => code(operation));
    expect([...listed].sort()).toEqual([...operations].sort());
  });
});
