import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The stub's answer delay: the I/O time of one tool call. */
export const STUB_DELAY_MS = 20;

/** A running stub: its base URL, how many calls it answered, and how to stop it. */
export interface Stub {
  url: string;
  calls(): number;
  close(): Promise<void>;
}

/**
 * An HTTP service in the bench process that answers every request with `{"ok":true}` after
 * `delayMs`: the tools' remote service. Its CPU is the bench's, not counted.
 *
 * @example
 * ```ts
 * const stub = await startStub();
 * await fetch(`${stub.url}/call/1`); // answers after 20 ms
 * await stub.close();
 * ```
 */
export async function startStub(delayMs = STUB_DELAY_MS): Promise<Stub> {
  let calls = 0;
  const server = createServer((request, response) => {
    request.resume();
    setTimeout(() => {
      calls += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    }, delayMs);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
