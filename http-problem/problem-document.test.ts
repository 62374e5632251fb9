import { describe, expect, it } from 'vitest';
import { problemDocument, problemType } from './problem-document.ts';

describe('problemType', () => {
  it.each([
    ['INVALID_JSON', 'urn:tributary:problem:invalid-json'],
    ['SESSION_NOT_FOUND', 'urn:tributary:problem:session-not-found'],
    ['Unsupported Media Type', 'urn:tributary:problem:unsupported-media-type'],
    ["I'm a Teapot", 'urn:tributary:problem:i-m-a-teapot'],
  ])('%s → %s', (name, type) => {
    expect(problemType(name)).toBe(type);
  });
});

describe('problemDocument', () => {
  const base = {
    name: 'INVALID_ARGUMENT',
    title: 'Invalid argument',
    status: 400,
    detail: 'limit is too big',
  };

  it('puts the standard members first, then the server own, then errors', () => {
    const document = problemDocument(base, { code: 'INVALID_ARGUMENT', request_id: 'r1' }, [
      { field: 'query.limit', message: 'too big' },
    ]);
    expect(Object.keys(document)).toEqual([
      'type',
      'title',
      'status',
      'detail',
      'code',
      'request_id',
      'errors',
    ]);
    expect(document).toEqual({
      type: 'urn:tributary:problem:invalid-argument',
      title: 'Invalid argument',
      status: 400,
      detail: 'limit is too big',
      code: 'INVALID_ARGUMENT',
      request_id: 'r1',
      errors: [{ field: 'query.limit', message: 'too big' }],
    });
  });

  it('leaves errors out when there are none, and copies them when there are', () => {
    expect(problemDocument(base, { service: 'demo-rag' })).not.toHaveProperty('errors');
    expect(problemDocument(base, { service: 'demo-rag' }, [])).not.toHaveProperty('errors');
    const errors = [{ field: 'query', message: 'required' }];
    const document = problemDocument(base, {}, errors);
    expect(document.errors).toEqual(errors);
    expect(document.errors).not.toBe(errors);
  });
});
