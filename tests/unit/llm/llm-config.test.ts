import { describe, expect, it } from 'vitest';
import { configError } from '../../fixtures/config-error.ts';
import { loadConfig } from '../../../core/index.ts';

const URL = 'http://127.0.0.1:8000/v1/chat/completions';

describe('LLM_MODEL and LLM_API_KEY', () => {
  it('are read with LLM_URL', () => {
    const config = loadConfig({ LLM_URL: URL, LLM_MODEL: 'llama3.1:8b', LLM_API_KEY: 'sk-abc_123.XYZ' });
    expect(config).toMatchObject({ LLM_URL: URL, LLM_MODEL: 'llama3.1:8b', LLM_API_KEY: 'sk-abc_123.XYZ' });
  });

  it('are unset by default', () => {
    const config = loadConfig({});
    expect(config.LLM_MODEL).toBeUndefined();
    expect(config.LLM_API_KEY).toBeUndefined();
  });

  it.each([
    ['LLM_MODEL', 'llama3'],
    ['LLM_API_KEY', 'sk-lonely-key'],
  ])('%s needs LLM_URL', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.field).toBe(name);
    expect(error.message).toBe(`${name}: needs LLM_URL (the chat completions endpoint) to be set`);
  });

  it('a model name with a space says what it expected and what it got', () => {
    const error = configError({ LLM_URL: URL, LLM_MODEL: 'llama 3' });
    expect(error.message).toBe(
      'LLM_MODEL: expected 1 to 256 printable characters without spaces (llama3.1:8b, gpt-4o-mini), got "llama 3"',
    );
  });

  it('a bad key is named but never shown', () => {
    const key = 'sk-has a-space-s3cret';
    const error = configError({ LLM_URL: URL, LLM_API_KEY: key, PORT: 'abc' });
    expect(error.message).toContain('LLM_API_KEY: expected 1 to 4096 printable characters without spaces');
    const everything = `${error.message} ${JSON.stringify(error.details)}`;
    expect(everything).not.toContain('s3cret');
  });

  it('a valid key is not shown when another setting is bad', () => {
    const error = configError({ LLM_URL: URL, LLM_API_KEY: 'sk-valid-s3cret-key', PORT: 'abc' });
    expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('s3cret');
  });
});
