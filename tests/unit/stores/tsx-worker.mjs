// Entry for worker threads that run TypeScript. On Node 20, `execArgv: ['--import', 'tsx']` does not
// reach a worker's own entry file ("Unknown file extension .ts"), so this plain module loads it through tsx.
// Usage: new Worker(new URL('./tsx-worker.mjs', import.meta.url), { workerData: { entry: fileUrl, ... } })
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
