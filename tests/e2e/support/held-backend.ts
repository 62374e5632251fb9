import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A proxy in front of a backend that holds its calls until the test lets them through. */
export interface HeldBackend {
  readonly url: string;
  /** Resolves once a call is being held (the tool that made it is in flight). */
  readonly reached: Promise<void>;
  /** Forwards the held calls, and every later one at once. */
  release(): void;
  close(): Promise<void>;
}

/**
 * Starts a proxy to `target` (e.g. a demo backend's URL) that holds every call until `release()`:
 * the run stays in that tool call for as long as the test looks at it, however loaded the machine.
 *
 * @example
 * ```ts
 * const rag = await startHeldBackend(demo.ragUrl);
 * // a platform with RAG_URL = rag.url
 * await rag.reached; // rag_search is in flight
 * rag.release();
 * ```
 */
export async function startHeldBackend(target: string): Promise<HeldBackend> {
  let released = false;
  const held: (() => void)[] = [];
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));

  const forward = async (request: IncomingMessage, body: Buffer): Promise<Response> =>
    fetch(new URL(request.url ?? '/', target), {
      method: request.method ?? 'GET',
      headers: { 'content-type': String(request.headers['content-type'] ?? 'application/json') },
      ...(body.length > 0 ? { body } : {}),
    });

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const pass = () =>
        void forward(request, Buffer.concat(chunks))
          .then(async (answer) => {
            response.writeHead(answer.status, {
              'content-type': answer.headers.get('content-type') ?? 'text/plain',
            });
            response.end(Buffer.from(await answer.arrayBuffer()));
          })
          .catch(() => response.writeHead(502).end());
      // Health checks pass: only the tool's calls are held.
      if (released || request.url?.startsWith('/healthz')) return pass();
      held.push(pass);
      reach();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    reached,
    release() {
      released = true;
      held.splice(0).forEach((pass) => pass());
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
