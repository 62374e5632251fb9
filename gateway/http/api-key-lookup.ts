import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Maps a presented API key to its user in constant time: every configured key is compared, over
 * SHA-256 digests (equal lengths, which `timingSafeEqual` needs), so the time taken tells nothing
 * about which key was close. Shared by HTTP (`Authorization: Bearer`) and Socket.IO (`auth: {token}`).
 *
 * @example
 * ```ts
 * const userOf = createApiKeyLookup(new Map([['k3y-0001', 'ann']]));
 * userOf('k3y-0001'); // 'ann'
 * userOf('guess');    // null
 * ```
 */
export function createApiKeyLookup(
  apiKeys: ReadonlyMap<string, string>,
): (presented: string) => string | null {
  const keys = [...apiKeys].map(([key, user]) => ({ digest: secretDigest(key), user }));
  return (presented) => {
    const wanted = secretDigest(presented);
    // Check every key so the time taken does not tell which one was close.
    let user: string | null = null;
    for (const key of keys) if (timingSafeEqual(key.digest, wanted)) user = key.user;
    return user;
  };
}

/** SHA-256 of a secret: equal-length buffers for `timingSafeEqual`. */
export function secretDigest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
