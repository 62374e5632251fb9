import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../../core/errors.ts';
import { readDemoEnv } from '../../../demo-backends/demo-env.ts';

describe('readDemoEnv', () => {
  it('has defaults for everything', () => {
    expect(readDemoEnv({})).toEqual({
      host: '127.0.0.1',
      ragPort: 8101,
      examPort: 8102,
      latencyMs: 0,
      failureRate: 0,
    });
  });

  it('reads every variable', () => {
    expect(
      readDemoEnv({
        DEMO_HOST: '0.0.0.0',
        DEMO_RAG_PORT: '0',
        DEMO_EXAM_PORT: '0',
        DEMO_LATENCY_MS: '250',
        DEMO_FAILURE_RATE: '.25',
      }),
    ).toEqual({ host: '0.0.0.0', ragPort: 0, examPort: 0, latencyMs: 250, failureRate: 0.25 });
  });

  it.each([
    ['DEMO_HOST', ' '],
    ['DEMO_RAG_PORT', 'abc'],
    ['DEMO_RAG_PORT', '70000'],
    ['DEMO_EXAM_PORT', '-1'],
    ['DEMO_EXAM_PORT', '8101'],
    ['DEMO_LATENCY_MS', '1.5'],
    ['DEMO_LATENCY_MS', '600000'],
    ['DEMO_FAILURE_RATE', '1.5'],
    ['DEMO_FAILURE_RATE', 'often'],
  ])('refuses %s=%j with an error naming it', (name, value) => {
    let error: unknown;
    try {
      readDemoEnv({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(isTributaryError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error).toMatchObject({ field: name, message: expect.stringContaining(name) });
  });
});
