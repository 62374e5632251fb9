import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isInternalAddress } from './webhook-address.ts';

export interface PostOptions {
  headers: Record<string, string>;
  body: string;
  /** Aborts the request: its timeout, or shutdown. */
  signal: AbortSignal;
  /** Connect to loopback and private addresses too (WEBHOOK_ALLOW_PRIVATE). */
  allowPrivate: boolean;
}

/** How one POST went: the receiver's status, or why there was none (a short code, never the URL). */
export type PostOutcome = { status: number } | { error: string; refused?: boolean };

/** Posts one webhook delivery; never rejects. */
export type PostWebhook = (url: URL, options: PostOptions) => Promise<PostOutcome>;

/**
 * One webhook POST with node:http(s): no redirect followed (a 3xx is a failed attempt), no
 * connection kept, and, unless `allowPrivate`, connected only to a public address: the address
 * checked is the one resolved for this very connection, so a host whose DNS changed since the run
 * was created (DNS rebinding) is refused (`refused: true`) instead of reached.
 *
 * @example
 * ```ts
 * const outcome = await postWebhook(new URL('https://hooks.example.com/'), { headers, body, signal, allowPrivate: false });
 * if ('status' in outcome && outcome.status < 300) console.log('delivered');
 * ```
 */
export const postWebhook: PostWebhook = (url, { headers, body, signal, allowPrivate }) => {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // An address in the URL is connected to as it is, without a lookup.
  if (!allowPrivate && isIP(host) && isInternalAddress(host))
    return Promise.resolve({ error: 'the host is a private address', refused: true });
  return new Promise<PostOutcome>((resolve) => {
    let refused = false;
    const lookup: LookupFunction = (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        const internal = !allowPrivate && !error && addresses.some((a) => isInternalAddress(a.address));
        if (internal) refused = true;
        const failure = error ?? (internal ? new Error('the host resolves to a private address') : null);
        const answer = callback as (...args: unknown[]) => void;
        if (failure) answer(failure, options.all ? [] : '', 4);
        else if (options.all) answer(null, addresses);
        else answer(null, addresses[0]?.address, addresses[0]?.family);
      });
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      agent: false,
      lookup,
      signal,
    });
    request.on('response', (response) => {
      resolve({ status: response.statusCode ?? 0 });
      // The answer's body is not read: it is drained and the connection closed.
      response.resume();
      response.on('error', () => undefined);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (refused) resolve({ error: 'the host resolves to a private address', refused: true });
      else if (signal.aborted) resolve({ error: 'timeout' });
      else resolve({ error: error.code ?? 'request failed' });
    });
    request.end(body);
  });
};
