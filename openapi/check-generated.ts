/**
 * `npm run gen:check`: fails when `openapi/schema.d.ts` is not what `npm run gen` would write from
 * `openapi/openapi.yaml` today. It runs the same openapi-typescript CLI with the same flags into a
 * temporary file and compares the bytes, so the check and the generator cannot drift apart.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const spec = join(root, 'openapi', 'openapi.yaml');
const committed = join(root, 'openapi', 'schema.d.ts');

const pkgJson = createRequire(import.meta.url).resolve('openapi-typescript/package.json');
const { bin } = JSON.parse(readFileSync(pkgJson, 'utf8')) as { bin: Record<string, string> };
const cli = join(dirname(pkgJson), bin['openapi-typescript'] ?? 'bin/cli.js');

const dir = mkdtempSync(join(tmpdir(), 'tributary-gen-'));
try {
  const fresh = join(dir, 'schema.d.ts');
  // Keep these flags identical to the `gen` script in package.json.
  execFileSync(process.execPath, [cli, spec, '--default-non-nullable', 'false', '-o', fresh], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let current: string;
  try {
    current = readFileSync(committed, 'utf8');
  } catch {
    current = '';
  }
  if (readFileSync(fresh, 'utf8') !== current) {
    console.error('openapi/schema.d.ts is stale: run npm run gen');
    process.exitCode = 1;
  } else {
    console.log('openapi/schema.d.ts is up to date');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
