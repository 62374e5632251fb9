import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver got. */
export interface OtlpRequest {
  path: string;
  contentType: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: give it as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string;
  requests: OtlpRequest[];
  close(): Promise<void>;
}

/**
 * A local OTLP/HTTP receiver: a plain node:http server on port 0 that keeps every request to
 * `/v1/traces` and answers 200 with an empty ExportTraceServiceResponse (empty protobuf, or `{}`).
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      requests.push({ path: req.url, contentType, headers: req.headers, body: Buffer.concat(chunks) });
      const json = contentType.includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type AttributeValue = string | number | boolean;

/** A span as decoded from an OTLP export request (either encoding). */
export interface DecodedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  scope: string;
  attributes: Record<string, AttributeValue>;
  events: string[];
  links: { traceId: string; spanId: string }[];
  status: { code: number; message: string };
  resource: Record<string, AttributeValue>;
}

// ---------------------------------------------------------------- protobuf (OTLP trace proto v1)

interface Field {
  no: number;
  varint: bigint;
  bytes: Buffer;
}

/** The fields of one protobuf message, in order (wire types 0, 1, 2 and 5). */
function* fields(buffer: Buffer): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const take = (length: number): Buffer => {
    const bytes = buffer.subarray(pos, pos + length);
    if (bytes.length !== length) throw new Error('truncated field');
    pos += length;
    return bytes;
  };
  while (pos < buffer.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, varint: varint(), bytes: Buffer.alloc(0) };
    else if (wire === 1) yield { no, varint: 0n, bytes: take(8) };
    else if (wire === 2) yield { no, varint: 0n, bytes: take(Number(varint())) };
    else if (wire === 5) yield { no, varint: 0n, bytes: take(4) };
    else throw new Error(`unexpected wire type ${wire}`);
  }
}

/** KeyValue { 1: key, 2: AnyValue { 1: string, 2: bool, 3: int, 4: double } }. */
function protoAttribute(buffer: Buffer): [string, AttributeValue | undefined] {
  let key = '';
  let value: AttributeValue | undefined;
  for (const field of fields(buffer)) {
    if (field.no === 1) key = field.bytes.toString('utf8');
    if (field.no === 2) {
      for (const any of fields(field.bytes)) {
        if (any.no === 1) value = any.bytes.toString('utf8');
        else if (any.no === 2) value = any.varint !== 0n;
        else if (any.no === 3) value = Number(BigInt.asIntN(64, any.varint));
        else if (any.no === 4) value = any.bytes.readDoubleLE(0);
      }
    }
  }
  return [key, value];
}

function addAttribute(
  into: Record<string, AttributeValue>,
  [key, value]: [string, AttributeValue | undefined],
) {
  if (value !== undefined) into[key] = value;
}

function protoSpan(buffer: Buffer, scope: string, resource: Record<string, AttributeValue>): DecodedSpan {
  const span: DecodedSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    scope,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: '' },
    resource,
  };
  for (const field of fields(buffer)) {
    if (field.no === 1) span.traceId = field.bytes.toString('hex');
    else if (field.no === 2) span.spanId = field.bytes.toString('hex');
    else if (field.no === 4) span.parentSpanId = field.bytes.toString('hex');
    else if (field.no === 5) span.name = field.bytes.toString('utf8');
    else if (field.no === 9) addAttribute(span.attributes, protoAttribute(field.bytes));
    else if (field.no === 11) {
      for (const event of fields(field.bytes))
        if (event.no === 2) span.events.push(event.bytes.toString('utf8'));
    } else if (field.no === 13) {
      const link = { traceId: '', spanId: '' };
      for (const part of fields(field.bytes)) {
        if (part.no === 1) link.traceId = part.bytes.toString('hex');
        if (part.no === 2) link.spanId = part.bytes.toString('hex');
      }
      span.links.push(link);
    } else if (field.no === 15) {
      for (const part of fields(field.bytes)) {
        if (part.no === 2) span.status.message = part.bytes.toString('utf8');
        if (part.no === 3) span.status.code = Number(part.varint);
      }
    }
  }
  return span;
}

/**
 * Decodes an `ExportTraceServiceRequest` (OTLP/HTTP protobuf) by reading the wire format directly:
 * request { 1: ResourceSpans { 1: Resource { 1: KeyValue }, 2: ScopeSpans { 1: scope { 1: name }, 2: Span } } }.
 */
export function decodeProtobufTraces(body: Buffer): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  for (const resourceSpans of fields(body)) {
    if (resourceSpans.no !== 1) continue;
    const resource: Record<string, AttributeValue> = {};
    const scoped: Buffer[] = [];
    for (const part of fields(resourceSpans.bytes)) {
      if (part.no === 1) {
        for (const attribute of fields(part.bytes)) {
          if (attribute.no === 1) addAttribute(resource, protoAttribute(attribute.bytes));
        }
      } else if (part.no === 2) scoped.push(part.bytes);
    }
    for (const scopeSpans of scoped) {
      let scope = '';
      const raw: Buffer[] = [];
      for (const part of fields(scopeSpans)) {
        if (part.no === 1)
          for (const s of fields(part.bytes)) if (s.no === 1) scope = s.bytes.toString('utf8');
        if (part.no === 2) raw.push(part.bytes);
      }
      for (const span of raw) spans.push(protoSpan(span, scope, resource));
    }
  }
  return spans;
}

// ---------------------------------------------------------------- JSON (OTLP/HTTP JSON)

interface JsonKeyValue {
  key: string;
  value: { stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number };
}

interface JsonRequest {
  resourceSpans: {
    resource: { attributes: JsonKeyValue[] };
    scopeSpans: {
      scope: { name: string };
      spans: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes: JsonKeyValue[];
        events: { name: string }[];
        links: { traceId: string; spanId: string }[];
        status: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

function jsonAttributes(list: readonly JsonKeyValue[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list) {
    const found = value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue;
    if (found !== undefined)
      out[key] = typeof found === 'string' && 'intValue' in value ? Number(found) : found;
  }
  return out;
}

/** Decodes an `ExportTraceServiceRequest` sent as OTLP/HTTP JSON (ids as hex). */
export function decodeJsonTraces(body: Buffer): DecodedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as JsonRequest;
  return request.resourceSpans.flatMap(({ resource, scopeSpans }) => {
    const attributes = jsonAttributes(resource.attributes);
    return scopeSpans.flatMap(({ scope, spans }) =>
      spans.map((span): DecodedSpan => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        scope: scope.name,
        attributes: jsonAttributes(span.attributes),
        events: span.events.map((event) => event.name),
        links: span.links.map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
        status: { code: span.status.code ?? 0, message: span.status.message ?? '' },
        resource: attributes,
      })),
    );
  });
}

/** Every span of every request the receiver got, decoded by its content type. */
export function receivedSpans(receiver: OtlpReceiver): DecodedSpan[] {
  return receiver.requests.flatMap((request) =>
    request.contentType.includes('json')
      ? decodeJsonTraces(request.body)
      : decodeProtobufTraces(request.body),
  );
}
