import { isIP, isIPv4 } from 'node:net';
import type { TrustProxy } from './app-config.js';

// proxy-addr's names for address ranges (what Fastify compiles a list with).
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY. X-Forwarded-For is written left to right: the client writes whatever it likes, and each
 * proxy appends the address it received the request from (RFC 7239 §5.2 says the same of `Forwarded`). So
 * only the right-most entries, those added by our own proxies, are facts; trusting every hop would let a
 * client pick its own address, and with it dodge the per-address login limit.
 *
 * - `false` (default): nothing is believed; the client address is the socket's peer.
 * - `true`: one proxy in front, the same as `1`.
 * - `N`: N proxies in front; the client address is the one the outermost of them saw.
 * - a list of addresses/CIDRs (or loopback, linklocal, uniquelocal): hops from these are believed.
 *
 * An entry that is none of these is a problem (pushed onto `problems`), never a silently dropped proxy.
 */
export function parseTrustProxy(value: string | undefined, problems: string[]): TrustProxy {
  const v = value?.trim();
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return 1;
  if (/^\d+$/.test(v)) return Number(v) === 0 ? false : Number(v);
  const entries = v.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isAddressOrRange(entry));
  if (bad.length > 0) {
    problems.push(`TRUST_PROXY: not an address, CIDR or range name: ${bad.join(', ')}`);
    return false;
  }
  return entries;
}

function isAddressOrRange(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [address, mask, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (mask === undefined) return true;
  if (/^\d{1,3}$/.test(mask)) return Number(mask) <= (family === 4 ? 32 : 128);
  return family === 4 && isIPv4(mask); // proxy-addr also takes a dotted netmask for IPv4
}

/** Fastify's `trustProxy` for this setting: a hop count as proxy-addr's trust function. */
export function fastifyTrustProxy(
  trust: TrustProxy,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false) return false;
  if (typeof trust === 'number') {
    // Fastify 5.12 turns a bare number into "trust nobody"; proxy-addr's hop 0 is the socket's peer.
    return (_address, hop) => hop < trust;
  }
  return [...trust];
}
