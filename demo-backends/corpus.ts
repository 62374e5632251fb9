/**
 * The demo RAG backend's bundled course material: short, original passages about the platform's
 * own stack (RxJS, Koa, Socket.IO, OpenAPI, OpenTelemetry). It is demo data, so a fresh checkout
 * answers questions and builds quizzes with no outside service; a real corpus lives behind `RAG_URL`.
 */

/** One passage of the demo corpus. `id` is stable and unique; `source` names the page and section. */
export interface Passage {
  readonly id: string;
  readonly source: string;
  readonly title?: string;
  readonly text: string;
}

/**
 * Every passage the demo RAG backend searches, in a fixed order.
 *
 * @example
 * ```ts
 * const mergeMap = DEMO_CORPUS.find((p) => p.id === 'rxjs-mergemap');
 * mergeMap?.source; // 'rxjs-guide.md#mergemap'
 * ```
 */
export const DEMO_CORPUS: readonly Passage[] = [
  // RxJS
  {
    id: 'rxjs-observable',
    source: 'rxjs-guide.md#observable',
    title: 'RxJS Observable',
    text:
      'An Observable is a lazy push collection: nothing runs until a subscriber calls subscribe, and each ' +
      'subscription gets its own execution. It emits any number of next notifications and then ends with ' +
      'either complete or error.',
  },
  {
    id: 'rxjs-mergemap',
    source: 'rxjs-guide.md#mergemap',
    title: 'RxJS operator mergeMap',
    text:
      'mergeMap maps each source value to an inner Observable and subscribes to the inner Observables ' +
      'at the same time, merging their values into one output stream. The optional concurrent argument ' +
      'of mergeMap sets the concurrency limit: extra source values wait in a buffer until an active ' +
      'inner subscription completes.',
  },
  {
    id: 'rxjs-switchmap',
    source: 'rxjs-guide.md#switchmap',
    title: 'RxJS operator switchMap',
    text:
      'switchMap unsubscribes from the previous inner Observable as soon as a new source value arrives, ' +
      'so only the latest inner stream emits. It suits typeahead search, where stale requests should be cancelled.',
  },
  {
    id: 'rxjs-concatmap',
    source: 'rxjs-guide.md#concatmap',
    title: 'RxJS operator concatMap',
    text:
      'concatMap queues inner Observables and subscribes to them one after another, so their values keep ' +
      'the order of the source. It behaves like a merge limited to a single active inner subscription.',
  },
  {
    id: 'rxjs-takeuntil',
    source: 'rxjs-guide.md#takeuntil',
    title: 'RxJS operator takeUntil',
    text:
      'takeUntil mirrors the source until a notifier Observable emits, then completes and unsubscribes ' +
      'from the source. Putting takeUntil last in a pipe is the usual way to cancel a stream when a stop signal fires.',
  },
  {
    id: 'rxjs-subjects',
    source: 'rxjs-guide.md#subjects',
    title: 'RxJS Subjects',
    text:
      'A Subject is both an Observable and an Observer, multicasting each value to all of its current ' +
      'subscribers. A BehaviorSubject hands its latest value to new subscribers, and a ReplaySubject ' +
      'replays a buffer of past values.',
  },
  {
    id: 'rxjs-errors',
    source: 'rxjs-guide.md#error-handling',
    title: 'RxJS operators for error handling',
    text:
      'catchError intercepts an error notification and switches to a replacement Observable, while retry ' +
      'resubscribes to the source a given number of times. An error ends a stream for good, so recovery ' +
      'has to happen inside the pipe.',
  },
  // Koa
  {
    id: 'koa-middleware',
    source: 'koa-guide.md#middleware',
    title: 'Koa Middleware',
    text:
      'Koa middleware are async functions that receive a context and a next function. Awaiting next ' +
      'passes control downstream, and the code after the await runs on the way back up: the onion model.',
  },
  {
    id: 'koa-context',
    source: 'koa-guide.md#context',
    title: 'Koa Context',
    text:
      'The Koa context wraps the Node request and response of one HTTP exchange in a single object. ' +
      'Handlers read input from ctx.request and ctx.params and answer by setting ctx.status and ctx.body.',
  },
  {
    id: 'koa-errors',
    source: 'koa-guide.md#error-handling',
    title: 'Koa Error handling',
    text:
      'An error thrown in any Koa middleware propagates up through every middleware awaiting next, so ' +
      'one try/catch placed first can turn all errors into responses. ctx.throw creates an HTTP error ' +
      'with a status code and a message.',
  },
  {
    id: 'koa-router',
    source: 'koa-guide.md#router',
    title: 'Koa routing with @koa/router',
    text:
      '@koa/router matches the method and path of a request and exposes path parameters on ctx.params. ' +
      'Its allowedMethods middleware answers OPTIONS requests and replies 405 when a path exists but the method does not.',
  },
  {
    id: 'koa-bodyparser',
    source: 'koa-guide.md#bodyparser',
    title: 'Koa body parsing with @koa/bodyparser',
    text:
      '@koa/bodyparser parses JSON and form bodies into ctx.request.body. A size limit such as jsonLimit ' +
      'rejects oversized payloads with status 413, and malformed JSON fails with status 400.',
  },
  // Socket.IO
  {
    id: 'socketio-rooms',
    source: 'socketio-guide.md#rooms',
    title: 'Socket.IO Rooms',
    text:
      'A Socket.IO room is a server-side group of sockets; io.to(room).emit sends an event to every socket ' +
      'in it. Only the server can make a socket join or leave a room, so room membership is a server decision.',
  },
  {
    id: 'socketio-namespaces',
    source: 'socketio-guide.md#namespaces',
    title: 'Socket.IO Namespaces',
    text:
      'Namespaces split one Socket.IO server into separate channels such as /admin, each with its own ' +
      'event handlers, rooms and middleware, over a single underlying connection.',
  },
  {
    id: 'socketio-acks',
    source: 'socketio-guide.md#acknowledgements',
    title: 'Socket.IO Acknowledgements',
    text:
      'An emit can pass a callback as its last argument, and the receiver calls it to send an ' +
      'acknowledgement back. With socket.timeout(ms).emit the acknowledgement fails with an error when ' +
      'no reply arrives in time.',
  },
  {
    id: 'socketio-adapter',
    source: 'socketio-guide.md#adapter',
    title: 'Socket.IO Adapters',
    text:
      'The adapter decides how a broadcast reaches sockets connected to other server instances. With the ' +
      'Redis Streams adapter, several Node processes share rooms, so an event emitted on one node reaches ' +
      'clients connected to another.',
  },
  {
    id: 'socketio-recovery',
    source: 'socketio-guide.md#connection-state-recovery',
    title: 'Socket.IO Connection state recovery',
    text:
      'Connection state recovery lets a client that drops for a moment get back its socket id, its rooms ' +
      'and the packets it missed, instead of starting over with a fresh session.',
  },
  // OpenAPI
  {
    id: 'openapi-document',
    source: 'openapi-guide.md#document',
    title: 'The OpenAPI document',
    text:
      'An OpenAPI document describes an HTTP API in YAML or JSON: its paths, operations, parameters, ' +
      'request bodies and responses. Version 3.1 makes the Schema Object a dialect of JSON Schema 2020-12.',
  },
  {
    id: 'openapi-operationid',
    source: 'openapi-guide.md#operation-id',
    title: 'OpenAPI operationId',
    text:
      'Each operation can carry a unique operationId. Code generators use it to name client methods, and ' +
      'servers use it to bind a handler to the route of that operation.',
  },
  {
    id: 'openapi-components',
    source: 'openapi-guide.md#components',
    title: 'OpenAPI Components',
    text:
      'The components section holds reusable schemas, parameters and responses. Operations point at them ' +
      'with $ref, so one definition serves every place that needs it.',
  },
  {
    id: 'openapi-nullable',
    source: 'openapi-guide.md#nullable',
    title: 'OpenAPI 3.1 and null',
    text:
      'OpenAPI 3.1 drops the nullable keyword of 3.0: a schema that accepts null lists it among its types, ' +
      "as in type: [string, 'null'].",
  },
  {
    id: 'openapi-problem-details',
    source: 'openapi-guide.md#problem-details',
    title: 'OpenAPI Problem Details',
    text:
      'Problem Details, defined by RFC 9457, is a standard error body served as application/problem+json. ' +
      'Its members type, title, status, detail and instance tell a client what went wrong in a machine-readable way.',
  },
  // OpenTelemetry
  {
    id: 'otel-traces',
    source: 'opentelemetry-guide.md#traces',
    title: 'OpenTelemetry Traces and spans',
    text:
      'A trace is a tree of spans that share one trace id. Each span records a named, timed operation ' +
      'with attributes, events and a status, and points to its parent span.',
  },
  {
    id: 'otel-propagation',
    source: 'opentelemetry-guide.md#context-propagation',
    title: 'OpenTelemetry Context propagation',
    text:
      'Context propagation carries a trace across process boundaries. The W3C traceparent header holds ' +
      'the trace id, the parent span id and the trace flags, so the downstream service continues the same trace.',
  },
  {
    id: 'otel-otlp',
    source: 'opentelemetry-guide.md#otlp',
    title: 'OpenTelemetry OTLP',
    text:
      'OTLP is the OpenTelemetry protocol for exporting traces, metrics and logs over gRPC or HTTP. ' +
      'Jaeger accepts OTLP directly, so an SDK exporter can send spans to it without a separate agent.',
  },
  {
    id: 'otel-sdk',
    source: 'opentelemetry-guide.md#sdk',
    title: 'OpenTelemetry API and SDK',
    text:
      'The OpenTelemetry API is a thin layer that does nothing until an SDK is registered; libraries ' +
      'depend on the API, applications install the SDK. A BatchSpanProcessor buffers finished spans and ' +
      'exports them in the background.',
  },
  {
    id: 'otel-instrumentation',
    source: 'opentelemetry-guide.md#instrumentation',
    title: 'OpenTelemetry Instrumentation',
    text:
      'Instrumentation libraries wrap common modules such as http and undici so that spans are created ' +
      'automatically. Under ESM the SDK has to be loaded with node --import, before the application ' +
      'imports the modules it should wrap.',
  },
];
