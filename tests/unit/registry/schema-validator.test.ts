import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../../core/errors.ts';
import { compileSchema, createAjv, validationError } from '../../../core/plugins/schema-validator.ts';
import type { JsonSchema } from '../../../core/plugins/plugin.ts';

/** Validates `data` against `schema` and returns the error `validationError` makes of the failures. */
function failure(schema: JsonSchema, data: unknown, prefix = 'input'): TributaryError {
  const validate = compileSchema(schema, 'test schema', createAjv());
  expect(validate(data)).toBe(false);
  return validationError('TOOL_INPUT_INVALID', validate.errors, prefix);
}

const question: JsonSchema = {
  type: 'object',
  properties: {
    question: { type: 'string', minLength: 1 },
    level: { enum: ['easy', 'hard'] },
    user: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['question'],
  additionalProperties: false,
};

describe('compileSchema', () => {
  it('names where a schema that does not compile came from', () => {
    const error = catchError(() =>
      compileSchema({ type: 'object', requried: ['q'] }, 'tool rag_search: input schema', createAjv()),
    );
    expect(error).toBeInstanceOf(TributaryError);
    expect(error).toMatchObject({ code: 'PLUGIN_SCHEMA_INVALID', field: 'tool rag_search: input schema' });
    expect(error.message).toMatch(/^tool rag_search: input schema: strict mode: unknown keyword: "requried"/);
  });

  it('rejects an unknown format but checks the standard ones', () => {
    expect(() => compileSchema({ type: 'string', format: 'emial' }, 'x', createAjv())).toThrow(
      /unknown format/,
    );
    const isEmail = compileSchema({ type: 'string', format: 'email' }, 'x', createAjv());
    expect(isEmail('ann@example.com')).toBe(true);
    expect(isEmail('not an email')).toBe(false);
  });

  it('accepts `required` without `properties` beside it', () => {
    const validate = compileSchema({ type: 'object', required: ['id'] }, 'x', createAjv());
    expect(validate({ id: 1 })).toBe(true);
    expect(validate({})).toBe(false);
  });

  it('accepts OpenAPI 3.1 nullable unions', () => {
    const validate = compileSchema({ type: ['string', 'null'] }, 'x', createAjv());
    expect(validate(null)).toBe(true);
    expect(validate(3)).toBe(false);
  });
});

describe('validationError', () => {
  it('names the field of a wrong type', () => {
    const error = failure(question, { question: 42 });
    expect(error).toMatchObject({ code: 'TOOL_INPUT_INVALID', kind: 'invalid', field: 'input.question' });
    expect(error.message).toBe('input.question must be string');
  });

  it('names a missing property itself, not its parent', () => {
    const error = failure(question, {});
    expect(error.field).toBe('input.question');
    expect(error.message).toBe('input.question is required');
  });

  it('names nested and array fields with dots', () => {
    expect(failure(question, { question: 'q', user: {} }).field).toBe('input.user.name');
    expect(failure(question, { question: 'q', tags: ['a', 7] })).toMatchObject({
      field: 'input.tags.1',
      message: 'input.tags.1 must be string',
    });
  });

  it('names a property that is not allowed', () => {
    expect(failure(question, { question: 'q', extra: 1 })).toMatchObject({
      field: 'input.extra',
      message: 'input.extra is not allowed',
    });
  });

  it('lists allowed values of an enum', () => {
    expect(failure(question, { question: 'q', level: 'medium' }).message).toBe(
      'input.level must be one of ["easy","hard"]',
    );
  });

  it('undoes JSON Pointer escapes in property names', () => {
    const schema = { type: 'object', properties: { 'a/b~c': { type: 'string' } } };
    expect(failure(schema, { 'a/b~c': 1 }).field).toBe('input.a/b~c');
  });

  it('uses the prefix alone for a problem with the whole value', () => {
    expect(failure(question, 'just text', 'body')).toMatchObject({
      field: 'body',
      message: 'body must be object',
    });
  });

  it('keeps every failure in details and spells out the first three', () => {
    const error = failure(question, { question: 1, level: 'x', tags: 'y', extra: true, more: true });
    const errors = error.details?.errors;
    expect(errors).toEqual([
      { field: 'input.extra', message: 'input.extra is not allowed' },
      { field: 'input.more', message: 'input.more is not allowed' },
      { field: 'input.question', message: 'input.question must be string' },
      { field: 'input.level', message: 'input.level must be one of ["easy","hard"]' },
      { field: 'input.tags', message: 'input.tags must be array' },
    ]);
    expect(error.message).toBe(
      'input.extra is not allowed; input.more is not allowed; input.question must be string (and 2 more)',
    );
  });

  it('puts an optional context before the problem', () => {
    const validate = compileSchema(question, 'x', createAjv());
    validate({});
    expect(
      validationError('TOOL_OUTPUT_INVALID', validate.errors, 'output', 'shout returned invalid output'),
    ).toMatchObject({
      code: 'TOOL_OUTPUT_INVALID',
      field: 'output.question',
      message: 'shout returned invalid output: output.question is required',
    });
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a throw');
}
