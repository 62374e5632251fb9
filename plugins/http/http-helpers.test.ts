import { describe, expect, it } from 'vitest';
import { bodySnippet } from './body-snippet.ts';
import {
  describeCause,
  displayUrl,
  httpToolPolicy,
  isTransientNetworkError,
  statusError,
  toolEndpoint,
} from './index.ts';

const coded = (message: string, code: string): Error => Object.assign(new Error(message), { code });
const fetchFailed = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });

describe('isTransientNetworkError', () => {
  it.each([
    ['undici: refused', fetchFailed(coded('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED')), true],
    ['undici: hang up', fetchFailed(coded('other side closed', 'UND_ERR_SOCKET')), true],
    ['undici: any fetch failure', fetchFailed(new Error('getaddrinfo EAI_AGAIN rag')), true],
    ['node: reset', coded('read ECONNRESET', 'ECONNRESET'), true],
    ['node: socket hang up', new Error('socket hang up'), true],
    ['nock: a bare code', { code: 'ECONNRESET' }, true],
    ['nock: refused host', coded('Nock: Disallowed net connect for "x:80/"', 'ENETUNREACH'), false],
    ['a bug', new TypeError('Cannot read properties of undefined'), false],
    ['a string', 'ECONNRESET', false],
    ['nothing', undefined, false],
  ])('%s -> %s', (_what, error, transient) => {
    expect(isTransientNetworkError(error)).toBe(transient);
  });
});

describe('describeCause', () => {
  it.each([
    [
      fetchFailed(coded('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED')),
      'connect ECONNREFUSED 127.0.0.1:1',
    ],
    [fetchFailed(coded('other side closed', 'UND_ERR_SOCKET')), 'other side closed (UND_ERR_SOCKET)'],
    [{ code: 'ECONNRESET' }, 'ECONNRESET'],
    [{ code: 'ECONNRESET', message: 'socket hang up' }, 'socket hang up (ECONNRESET)'],
    [new Error('plain'), 'plain'],
    ['a string cause', 'a string cause'],
    [{}, 'unknown error'],
  ])('%o -> %s', (error, text) => {
    expect(describeCause(error)).toBe(text);
  });
});

describe('statusError', () => {
  it.each([
    [500, false],
    [501, false],
    [502, true],
    [503, true],
    [504, true],
    [400, false],
    [408, false],
    [429, false],
  ])('HTTP %i is retryable: %s', (status, retryable) => {
    expect(statusError(status, { tool: 't', url: 'http://x/' }, '')).toMatchObject({
      code: 'TOOL_FAILED',
      retryable,
    });
  });
});

describe('bodySnippet', () => {
  it.each([
    ['{"detail":"top_k must be <= 20"}', 'top_k must be <= 20'],
    ['{"message":"bad"}', 'bad'],
    ['{"error":"bad"}', 'bad'],
    ['{"error":{"message":"nested"}}', 'nested'],
    ['{"title":"Bad Request","status":400}', 'Bad Request'],
    ['{"status":400}', '{"status":400}'],
    ['  several\n  lines\tof text ', 'several lines of text'],
    ['<html><body>Not Found</body></html>', ''],
    ['', ''],
  ])('%j -> %j', (body, snippet) => {
    expect(bodySnippet(body)).toBe(snippet);
  });
});

describe('displayUrl', () => {
  it.each([
    ['http://rag.test/search', 'http://rag.test/search'],
    ['https://ann:pw@rag.test:8443/v1/search?api_key=k#x', 'https://rag.test:8443/v1/search'],
    ['not a url', '(invalid URL)'],
  ])('%s -> %s', (url, shown) => {
    expect(displayUrl(url)).toBe(shown);
  });
});

describe('toolEndpoint', () => {
  it.each([
    ['http://rag.test', 'http://rag.test/search'],
    ['http://rag.test/', 'http://rag.test/search'],
    ['https://gw.test/rag//', 'https://gw.test/rag/search'],
  ])('joins %s and /search', (base, joined) => {
    expect(toolEndpoint('rag_search', base, '/search')).toBe(joined);
  });

  it.each(['rag.test', 'ftp://rag.test', ''])('refuses %j with CONFIG_INVALID', (base) => {
    expect(() => toolEndpoint('rag_search', base, '/search')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'rag_search.baseUrl' }),
    );
  });
});

describe('httpToolPolicy', () => {
  it('gives one retry after 200 ms and a core timeout just past the kit’s', () => {
    expect(httpToolPolicy('rag_search')).toEqual({ timeoutMs: 6_000, retries: 1, retryDelayMs: 200 });
    expect(httpToolPolicy('rag_search', { timeoutMs: 100 })).toMatchObject({ timeoutMs: 1_100 });
  });

  it.each([
    [{ timeoutMs: 0 }, 'rag_search: timeoutMs must be a positive integer, got 0'],
    [{ timeoutMs: 1.5 }, 'rag_search: timeoutMs must be a positive integer, got 1.5'],
    [{ maxBytes: -1 }, 'rag_search: maxBytes must be a positive integer, got -1'],
  ])('refuses %o', (options, message) => {
    expect(() => httpToolPolicy('rag_search', options)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message }),
    );
  });
});
