/**
 * The run-cost bench's OTLP/HTTP sink, in the bench process: it reads every `POST /v1/traces`, answers
 * 200 with an empty protobuf ExportTraceServiceResponse (so the exporter does its real serialisation
 * and sending and sees success), and counts the requests and the spans in them per instrumentation
 * scope, by walking the protobuf wire format. Its CPU is the bench's, not the server's.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  /** `http://127.0.0.1:<port>`: the server's `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string;
  /** Export requests answered so far. */
  requests(): number;
  /** Spans received so far. */
  spans(): number;
  /** Spans received so far per instrumentation scope name (`tributary`, `@opentelemetry/instrumentation-http`, …). */
  spansByScope(): ReadonlyMap<string, number>;
  /** Resolves once no export request has arrived for `quietMs` (the exporter's buffer is drained). */
  quiet(quietMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Calls `visit(fieldNumber, bytes)` for each length-delimited field of one protobuf message; skips the rest. */
function eachLengthField(buffer: Buffer, visit: (no: number, bytes: Buffer) => void): void {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let factor = 1;
    for (;;) {
      const byte = buffer[pos++];
      if (byte === undefined) throw new Error('OTLP sink: truncated varint');
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result;
      factor *= 128;
    }
  };
  while (pos < buffer.length) {
    const key = varint();
    const wire = key % 8;
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = varint();
      visit(Math.floor(key / 8), buffer.subarray(pos, pos + length));
      pos += length;
    } else throw new Error(`OTLP sink: unexpected wire type ${wire}`);
  }
}

/**
 * Counts the spans of an `ExportTraceServiceRequest`:
 * request { 1: ResourceSpans { 2: ScopeSpans { 1: InstrumentationScope { 1: name }, 2: Span } } }.
 */
export function countSpans(body: Buffer, into: Map<string, number>): number {
  let total = 0;
  eachLengthField(body, (no, resourceSpans) => {
    if (no !== 1) return;
    eachLengthField(resourceSpans, (part, scopeSpans) => {
      if (part !== 2) return;
      let scope = '';
      let spans = 0;
      eachLengthField(scopeSpans, (field, bytes) => {
        if (field === 1)
          eachLengthField(bytes, (s, name) => {
            if (s === 1) scope = name.toString('utf8');
          });
        else if (field === 2) spans += 1;
      });
      into.set(scope, (into.get(scope) ?? 0) + spans);
      total += spans;
    });
  });
  return total;
}

/**
 * Starts the sink on a free port.
 *
 * @example
 * ```ts
 * const sink = await startOtlpSink();
 * // start a server with OTEL_EXPORTER_OTLP_ENDPOINT=sink.url, run work, stop it
 * console.log(sink.spans(), sink.requests());
 * await sink.close();
 * ```
 */
export async function startOtlpSink(): Promise<OtlpSink> {
  let requests = 0;
  let spans = 0;
  let lastAt = performance.now();
  const byScope = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      requests += 1;
      lastAt = performance.now();
      const json = (req.headers['content-type'] ?? '').includes('json');
      // The bench's server sends protobuf (the default); a JSON body is answered but not counted.
      if (!json) spans += countSpans(Buffer.concat(chunks), byScope);
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    spans: () => spans,
    spansByScope: () => byScope,
    quiet: async (quietMs) => {
      lastAt = Math.max(lastAt, performance.now());
      for (;;) {
        const left = lastAt + quietMs - performance.now();
        if (left <= 0) return;
        await new Promise((resolve) => setTimeout(resolve, left));
      }
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
