// The load generator of bench/gateway.ts, in a worker thread so it does not share the server's event
// loop: `concurrency` lanes each keep one request in flight over keep-alive sockets, first for
// `warmupMs` (not counted), then for `durationMs`. Plain JS: a worker's entry cannot be .ts on Node 20.
import { Buffer } from 'node:buffer';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

const { url, method, body, expectStatus, concurrency, warmupMs, durationMs } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const payload = body === undefined ? undefined : Buffer.from(body);
const headers = payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {};

function once() {
  return new Promise((resolve) => {
    const req = request(url, { method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === expectStatus));
    });
    req.on('error', () => resolve(false));
    req.end(payload);
  });
}

async function run(ms) {
  const started = performance.now();
  const until = started + ms;
  let ok = 0;
  let failed = 0;
  const lane = async () => {
    while (performance.now() < until) {
      if (await once()) ok += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  // Requests in flight at the deadline finish and count, so the clock runs until they do.
  return { ok, failed, seconds: (performance.now() - started) / 1000 };
}

await run(warmupMs);
parentPort.postMessage(await run(durationMs));
agent.destroy();
