import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { TributaryError } from '../errors.ts';
import { isInternalAddress } from './webhook-address.ts';

/** The field a bad webhook URL is blamed on, in the API's words. */
export const WEBHOOK_URL_FIELD = 'webhook.url';
/** The longest webhook URL taken. */
export const MAX_WEBHOOK_URL = 2048;

/** Resolves a host name to every address it has (`dns.lookup` with `all`, as connections do). */
export type HostLookup = (hostname: string) => Promise<readonly { address: string }[]>;

/** The system resolver, the one node:http connects with. */
export const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Checks a webhook URL as a run is created: http or https, no credentials, and (unless
 * `allowPrivate`) a host whose every address is public. INVALID_ARGUMENT naming `webhook.url` otherwise.
 * Delivery checks the address it connects to again (see `postWebhook`): DNS may answer differently later.
 *
 * @example
 * ```ts
 * await checkWebhookUrl('https://hooks.example.com/tributary', { allowPrivate: false }); // URL
 * await checkWebhookUrl('http://localhost:8080/', { allowPrivate: false }); // throws INVALID_ARGUMENT
 * ```
 */
export async function checkWebhookUrl(
  value: unknown,
  options: { allowPrivate: boolean; lookup?: HostLookup },
): Promise<URL> {
  if (typeof value !== 'string' || value.length > MAX_WEBHOOK_URL)
    throw invalid(`must be an http:// or https:// URL of at most ${MAX_WEBHOOK_URL} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(`must be an http:// or https:// URL, not ${url.protocol}`);
  // Credentials in the URL would be sent with every delivery and are not needed: the body is signed.
  if (url.username !== '' || url.password !== '') throw invalid('must not carry a user name or password');
  if (options.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : await resolve(host, options.lookup ?? systemLookup);
  if (addresses.length === 0 || addresses.some(isInternalAddress))
    throw invalid(
      `host ${url.hostname} is a loopback, private or link-local address; webhooks go to public addresses only`,
    );
  return url;
}

async function resolve(host: string, lookup: HostLookup): Promise<string[]> {
  try {
    return (await lookup(host)).map((entry) => entry.address);
  } catch {
    throw invalid(`host ${host} does not resolve`);
  }
}

function invalid(why: string): TributaryError {
  return new TributaryError('INVALID_ARGUMENT', `${WEBHOOK_URL_FIELD}: ${why}`, { field: WEBHOOK_URL_FIELD });
}
