/**
 * `npm run bench` runs every module below; `npm run bench -- core` runs one. Each module prints a
 * table of its measurements against a baseline measured in the same process. Not part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { arch, cpus, loadavg } from 'node:os';
import { canCollect } from './lib/measure.ts';
import type { BenchModule } from './lib/module.ts';
import { removeTempFiles } from './lib/runtime.ts';
import { renderTable } from './lib/table.ts';

/** Every bench module, by the name given on the command line. Later modules add a line here. */
const MODULES: Record<string, () => Promise<BenchModule>> = {
  core: async () => (await import('./core.ts')).default,
  gateway: async () => (await import('./gateway.ts')).default,
  tracing: async () => (await import('./tracing.ts')).default,
  fanout: async () => (await import('./fanout.ts')).default,
  store: async () => (await import('./store.ts')).default,
  scale: async () => (await import('./scale.ts')).default,
  'run-cost': async () => (await import('./run-cost.ts')).default,
};

function respawnWithGc(): never {
  // Heap figures need global.gc: run this same command again with --expose-gc.
  const args = ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)];
  const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

/** The 1-minute load average: other work on the machine shows up in every timing. */
const loadAverage = (): string => `load average ${loadavg()[0]?.toFixed(2) ?? '?'}`;

async function main(names: readonly string[]): Promise<void> {
  const unknown = names.filter((name) => !(name in MODULES));
  if (unknown.length > 0) {
    console.error(`unknown bench module ${unknown.join(', ')}; known: ${Object.keys(MODULES).join(', ')}`);
    process.exit(2);
  }
  const selected = names.length > 0 ? names : Object.keys(MODULES);
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  console.log(
    `node ${process.version}, ${cpus().length} cpus (${cpu}, ${arch()}), ${new Date().toISOString()}, ${loadAverage()}`,
  );
  for (const name of selected) {
    const load = MODULES[name];
    if (!load) continue;
    const module = await load();
    const started = performance.now();
    const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
    const rows = await module.run((message) => console.error(`  [${elapsed()}] ${name}: ${message}`));
    console.log(`\n## ${module.title} (${elapsed()}, ${loadAverage()})\n\n${renderTable(rows)}\n`);
    for (const note of module.notes) console.log(`- ${note}`);
  }
}

if (!canCollect()) respawnWithGc();
try {
  await main(process.argv.slice(2));
} finally {
  removeTempFiles();
}
