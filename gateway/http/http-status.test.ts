import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, type ErrorCode, type ErrorKind } from '../../core/index.ts';
import { httpStatusOf, isServerFaultStatus } from './http-status.ts';

// Written out in full: a changed status is a changed HTTP contract and must show up in review.
const EXPECTED: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_CURSOR: 400,
  INVALID_STATE: 400,
  SESSION_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  CHECKPOINT_NOT_FOUND: 404,
  APPROVAL_NOT_FOUND: 404,
  TOOL_NOT_FOUND: 404,
  FLOW_NOT_FOUND: 404,
  SESSION_BUSY: 409,
  SESSION_EXPIRED: 409,
  SESSION_ARCHIVED: 409,
  RUN_FINISHED: 409,
  SESSION_CAP_REACHED: 429,
  RATE_LIMITED: 429,
  SHUTTING_DOWN: 503,
  STORE_UNAVAILABLE: 503,
  STORE_CORRUPT: 500,
  STORE_LOCKED: 409,
  CONFIG_INVALID: 500,
  PLUGIN_INVALID: 500,
  PLUGIN_DUPLICATE: 500,
  PLUGIN_SCHEMA_INVALID: 500,
  PLUGIN_DEPENDENCY_MISSING: 500,
  TOOL_INPUT_INVALID: 400,
  TOOL_OUTPUT_INVALID: 502,
  TOOL_TIMEOUT: 504,
  TOOL_FAILED: 502,
  RUN_CANCELLED: 409,
  RUN_INTERRUPTED: 503,
  APPROVAL_REJECTED: 409,
  APPROVAL_TIMEOUT: 408,
  CHECKPOINT_DECRYPT_FAILED: 500,
};

// The statuses each transport-neutral kind may take over HTTP.
const STATUSES_OF_KIND: Record<ErrorKind, readonly number[]> = {
  invalid: [400],
  not_found: [404],
  conflict: [409],
  limited: [429],
  unavailable: [503],
  timeout: [408, 504],
  upstream: [502],
  internal: [500],
};

describe('HTTP status of core error codes', () => {
  it('answers every code with its status', () => {
    const codes = Object.keys(ERROR_CATALOG) as ErrorCode[];
    expect(Object.fromEntries(codes.map((code) => [code, httpStatusOf(code)]))).toEqual(EXPECTED);
  });

  it.each(Object.entries(ERROR_CATALOG))('%s: its status fits its kind', (code, { kind }) => {
    expect(STATUSES_OF_KIND[kind]).toContain(httpStatusOf(code as ErrorCode));
  });

  it.each([
    [500, true],
    [502, true],
    [504, true],
    [503, false],
    [409, false],
    [400, false],
  ])('status %i is a server fault: %s', (status, fault) => {
    expect(isServerFaultStatus(status)).toBe(fault);
  });
});
