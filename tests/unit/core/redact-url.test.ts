import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../core/redact-url.ts';

describe('redactUrl', () => {
  it.each([
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['rediss://cache.example:6380/2?family=6', 'rediss://cache.example:6380/2?family=6'],
    ['redis://default:s3cret@cache:6379/0', 'redis://[redacted]@cache:6379/0'],
    ['redis://:s3cret@cache', 'redis://[redacted]@cache'],
    // An unescaped `@` in the password: everything up to the last one goes.
    ['redis://ann:s3c@ret@cache', 'redis://[redacted]@cache'],
    ['redis://cache?password=s3cret&family=6', 'redis://cache?password=[redacted]&family=6'],
    ['redis://cache?db=1&pass%77ord=s3cret', 'redis://cache?db=1&pass%77ord=[redacted]'],
    // Not a URL at all, still without its password.
    ['ann:s3cret@cache:6379', '[redacted]@cache:6379'],
    ['redis://ann:s3cret pw@ca che', 'redis://[redacted]@ca che'],
  ])('%s is shown as %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
