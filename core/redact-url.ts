import { isSecretKey, REDACTED } from './events/redact.ts';

/**
 * `url` as it may be shown in a log line or an error: its userinfo (`user:password@`) and the values of
 * secret-named query parameters (`?password=…`, which ioredis reads too) replaced by `[redacted]`.
 * It works on text that is not a valid URL, as a malformed setting still carries its password: everything
 * between the scheme and the last `@` goes (more than the userinfo when a query holds an `@`, never less).
 *
 * @example
 * ```ts
 * redactUrl('redis://default:s3cret@cache:6379/0'); // 'redis://[redacted]@cache:6379/0'
 * redactUrl('redis://cache:6379?password=s3cret');  // 'redis://cache:6379?password=[redacted]'
 * redactUrl('user:s3cret@cache');                   // '[redacted]@cache'
 * ```
 */
export function redactUrl(url: string): string {
  const at = url.lastIndexOf('@');
  const scheme = url.indexOf('://');
  const userinfoStart = scheme !== -1 && scheme < at ? scheme + 3 : 0;
  const shown = at === -1 ? url : `${url.slice(0, userinfoStart)}${REDACTED}${url.slice(at)}`;
  return shown.replace(/([?&])([^=&#]*)=([^&#]*)/g, (whole, separator: string, name: string) =>
    isSecretKey(decodeName(name)) ? `${separator}${name}=${REDACTED}` : whole,
  );
}

/** A query parameter's name as the server reads it (`pass%77ord` is `password`). */
function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
