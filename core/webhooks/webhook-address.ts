import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may not reach unless WEBHOOK_ALLOW_PRIVATE=true: this host, private networks,
 * link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast and reserved ranges,
 * so the API cannot be used to call internal services.
 */
const REFUSED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  REFUSED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  // The unspecified address, loopback and the deprecated IPv4-compatible forms (`::a.b.c.d`).
  ['::', 96],
  // IPv4-translated addresses (`::ffff:0:a.b.c.d`).
  ['::ffff:0:0:0', 96],
  // NAT64 embeds an IPv4 address, which may be a private one.
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  REFUSED.addSubnet(network, prefix, 'ipv6');

/**
 * Whether `address` (an IP literal, as `dns.lookup` answers) is loopback, private, link-local or
 * otherwise internal. IPv4-mapped IPv6 forms (`::ffff:127.0.0.1`, `::ffff:7f00:1`) are judged as
 * the IPv4 address they carry; anything that is not an IP address is refused too.
 *
 * @example
 * ```ts
 * isInternalAddress('10.1.2.3'); // true
 * isInternalAddress('::ffff:7f00:1'); // true (127.0.0.1)
 * isInternalAddress('93.184.215.14'); // false
 * ```
 */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  const version = isIP(bare);
  if (version === 4) return REFUSED.check(bare, 'ipv4');
  // Not an address, or a scoped one (`fe80::1%eth0`): only link-local addresses carry a zone.
  if (version !== 6 || bare.includes('%')) return true;
  // The URL parser writes an IPv6 address one way: `::ffff:127.0.0.1` becomes `::ffff:7f00:1`.
  const canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const [high, low] = [Number.parseInt(mapped[1]!, 16), Number.parseInt(mapped[2]!, 16)];
    return REFUSED.check([high >> 8, high & 255, low >> 8, low & 255].join('.'), 'ipv4');
  }
  return REFUSED.check(canonical, 'ipv6');
}
