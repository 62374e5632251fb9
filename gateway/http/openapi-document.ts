import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The parts of an OpenAPI 3.1 document the binder reads. */
export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, unknown>;
}

export interface OpenApiOperation {
  operationId: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Record<string, unknown> }> };
  responses: Record<
    string,
    { content?: Record<string, { schema?: Record<string, unknown> }> } | { $ref: string }
  >;
  security?: Array<Record<string, string[]>>;
}

// A type alias (not an interface) so the document is assignable where a JSON object is expected.
export type OpenApiDocument = {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, OpenApiOperation | OpenApiParameter[] | unknown>>;
  components?: Record<string, Record<string, unknown>>;
  security?: Array<Record<string, string[]>>;
};

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const SPEC_URL = new URL('../../openapi/openapi.yaml', import.meta.url);

/**
 * Reads `openapi/openapi.yaml`, the source of truth of the HTTP API.
 *
 * @example
 * ```ts
 * const spec = loadSpec();
 * spec.paths['/v1/sessions'];
 * ```
 */
export function loadSpec(url: URL = SPEC_URL): OpenApiDocument {
  return parse(readFileSync(url, 'utf8')) as OpenApiDocument;
}

/** Follows a local `$ref` (`#/components/responses/NotFound`) inside the document. */
export function deref<T>(spec: OpenApiDocument, value: T | { $ref: string }): T {
  let current: unknown = value;
  for (let hops = 0; hops < 16 && isRef(current); hops++) {
    current = current.$ref
      .replace(/^#\//, '')
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], spec);
  }
  return current as T;
}

function isRef(value: unknown): value is { $ref: string } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { $ref?: unknown }).$ref === 'string'
  );
}

/** A JSON pointer to a place in the document, for Ajv `$ref`s into it. */
export function pointer(...parts: string[]): string {
  return '#/' + parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}
