/**
 * Where a server's CPU went, from a V8 CPU profile of one run-cost process
 * (`BENCH_CPU_PROF_DIR=/tmp/prof npm run bench -- run-cost` writes one per server process): each
 * sample goes to the nearest frame of the repository's own code, so a function's share includes
 * the library and native work it asked for, then to a bucket by that code's folder; samples with no
 * own frame go by their leaf (garbage collection, socket writes, module loading). Start-up (module
 * loading, the OpenAPI document, schema compiles, migrations) is left out. Prints ms per run.
 *
 *   node --import tsx bench/run-cost/profile-buckets.ts <file.cpuprofile> <runs in the profile>
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const STARTUP_BUCKET = 'start-up (not per run)';
/** Own code that runs once, at start. */
const STARTUP_CODE =
  /api-docs|openapi-document|schema-validator|plugin-registry|load-plugins|sqlite-migrations|sqlite-connection|platform\.ts|demo-backends|main\.ts|config\.ts|register\.ts/;
/** Leaves with no own frame above them that are start-up work: module loading, tsx, the loader thread. */
const STARTUP_NATIVE =
  /modules|cjs-module-lexer|tsx|esbuild|source_map|readFileUtf8|internalModuleStat|wrapSafe|compileFunction|js_transferable|MessageChannel|waitForWorker|\(program\)/;

const repoRoot = new URL('../..', import.meta.url).pathname;
const isOwn = (url: string) => url.includes(repoRoot) && !url.includes('/node_modules/');
const relative = (url: string) => url.replace(/^file:\/\//, '').replace(repoRoot, '');

function bucketOfOwn(file: string, fn: string): string {
  if (STARTUP_CODE.test(file) || (file.endsWith('openapi-binder.ts') && fn === 'compile'))
    return STARTUP_BUCKET;
  if (file.startsWith('stores/')) return 'store';
  if (file.includes('traced-fetch') || file.includes('run-cost/plugins')) return "tools' fetch (3 calls)";
  if (file.endsWith('sse.ts')) return 'SSE stream';
  if (file.startsWith('gateway/') || file.startsWith('http-problem/'))
    return 'HTTP in (routing, body, handlers)';
  if (file.startsWith('core/events/') || file.startsWith('core/store/')) return 'event log and hub';
  if (file.startsWith('core/')) return 'runs, tool calls, RxJS';
  if (file.startsWith('otel/')) return 'telemetry';
  if (file.includes('bare-server')) return `bare server: ${fn || '(anonymous)'}`;
  return `other: ${file}`;
}

function bucketOfLeaf({ functionName, url }: CallFrame): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (/^(writev|writeLatin1String|writeUtf8String|writeBuffer)$/.test(functionName)) return 'socket writes';
  if (STARTUP_NATIVE.test(url + functionName)) return STARTUP_BUCKET;
  if (url.includes('undici')) return "tools' fetch (3 calls)";
  return 'Node internals, other';
}

const [file, runsArg] = process.argv.slice(2);
if (!file || !runsArg) throw new Error('usage: profile-buckets.ts <file.cpuprofile> <runs>');
const runs = Number(runsArg);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

const buckets = new Map<string, number>();
let busy = 0;
profile.samples.forEach((sample, i) => {
  const leaf = byId.get(sample)?.callFrame;
  if (!leaf || leaf.functionName === '(idle)') return;
  const us = profile.timeDeltas[i] ?? 0;
  let bucket: string | undefined;
  for (let id: number | undefined = sample; id !== undefined; id = parentOf.get(id)) {
    const frame = byId.get(id)?.callFrame;
    if (frame && isOwn(frame.url)) {
      bucket = bucketOfOwn(relative(frame.url), frame.functionName);
      break;
    }
  }
  bucket ??= bucketOfLeaf(leaf);
  busy += us;
  buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
});

const startup = buckets.get(STARTUP_BUCKET) ?? 0;
buckets.delete(STARTUP_BUCKET);
const perRun = (busy - startup) / 1000 / runs;
console.log(
  `${file}: ${perRun.toFixed(2)} ms per run (${runs} runs; start-up ${(startup / 1000).toFixed(0)} ms left out)`,
);
for (const [bucket, us] of [...buckets].sort((a, b) => b[1] - a[1])) {
  const ms = us / 1000 / runs;
  console.log(
    `${ms.toFixed(3).padStart(7)} ms  ${((100 * ms) / perRun).toFixed(1).padStart(5)} %  ${bucket}`,
  );
}
