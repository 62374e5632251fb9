/**
 * The run-cost bench's client: submits a run, streams its events over SSE until its terminal event and
 * times submit → first event of the run and submit → terminal event. The same parser reads the
 * platform's stream and the bare server's.
 */

/** One run's timings, ms from just before its submit request. */
export interface RunTiming {
  firstEventMs: number;
  terminalMs: number;
  /** Events of the run received (the session's `session.created` not counted). */
  events: number;
  completed: boolean;
}

/** How a run is submitted and streamed: the platform's routes or the bare server's. */
export type Target = { kind: 'platform'; url: string; flow: string } | { kind: 'bare'; url: string };

const TERMINAL = new Set(['run.completed', 'run.failed', 'run.cancelled']);

interface Frame {
  type: string;
  run_id: string | null;
}

/** Reads `data:` frames of an SSE body, calling `onFrame` for each until it returns true (then cancels). */
async function readFrames(
  body: ReadableStream<Uint8Array>,
  onFrame: (frame: Frame) => boolean,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error('SSE stream ended before the run ended');
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        if (data && onFrame(JSON.parse(data) as Frame)) return;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

async function streamOf(response: Response, what: string): Promise<ReadableStream<Uint8Array>> {
  if (!response.ok || !response.body) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return response.body;
}

/**
 * One run end to end. Platform: `POST /v1/runs` (a new session), then
 * `GET /v1/sessions/{id}/events/stream` from the start of the log. Bare: `POST /runs`, whose answer is
 * the stream.
 */
export async function timeRun(target: Target): Promise<RunTiming> {
  const submitted = performance.now();
  let body: ReadableStream<Uint8Array>;
  let runId: string | null = null;
  if (target.kind === 'platform') {
    const created = await fetch(`${target.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ flow: target.flow, input: { question: 'run-cost' } }),
    });
    const text = await created.text();
    if (created.status !== 202) throw new Error(`POST /v1/runs: ${created.status} ${text}`);
    const run = JSON.parse(text) as { id: string; session_id: string };
    runId = run.id;
    body = await streamOf(
      await fetch(`${target.url}/v1/sessions/${run.session_id}/events/stream`),
      'GET …/events/stream',
    );
  } else {
    body = await streamOf(
      await fetch(`${target.url}/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: { question: 'run-cost' } }),
      }),
      'POST /runs',
    );
  }
  const timing: RunTiming = { firstEventMs: Number.NaN, terminalMs: Number.NaN, events: 0, completed: false };
  await readFrames(body, (frame) => {
    if (frame.run_id === null || (runId !== null && frame.run_id !== runId)) return false;
    const at = performance.now() - submitted;
    if (timing.events === 0) timing.firstEventMs = at;
    timing.events += 1;
    if (!TERMINAL.has(frame.type)) return false;
    timing.terminalMs = at;
    timing.completed = frame.type === 'run.completed';
    return true;
  });
  return timing;
}

/** `runs` runs with at most `inFlight` at once (closed loop): the next starts when one ends. */
export async function closedLoop(target: Target, runs: number, inFlight: number): Promise<RunTiming[]> {
  const timings: RunTiming[] = [];
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      next += 1;
      timings.push(await timeRun(target));
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, runs) }, worker));
  return timings;
}

/** `runs` runs submitted at `perSecond` on a fixed schedule whatever is still running (open loop). */
export async function openLoop(target: Target, runs: number, perSecond: number): Promise<RunTiming[]> {
  const start = performance.now();
  const all: Promise<RunTiming>[] = [];
  for (let i = 0; i < runs; i += 1) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    all.push(timeRun(target));
  }
  return Promise.all(all);
}
