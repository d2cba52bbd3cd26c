import { isIPv4, isIPv6 } from 'node:net';

const MAX_KEY_LENGTH = 64;

/**
 * The client a login attempt is counted against: one key per address however it is spelled, and one per
 * IPv6 /64, since a single home or cloud connection is routinely handed a whole /64 (RFC 6177) and could
 * otherwise guess afresh from each of its addresses. Forms a proxy may write: IPv4-mapped IPv6
 * (`::ffff:192.0.2.1`), a port (`192.0.2.1:443`, `[2001:db8::1]:443`), a zone (`fe80::1%eth0`).
 */
export function clientAddressKey(address: string): string {
  let value = address.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) value = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  value = value.replace(/%.*$/, '');
  if (isIPv4(value)) return value;
  if (!isIPv6(value)) return value.slice(0, MAX_KEY_LENGTH);
  const groups = expandIPv6(value);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` filled in, a trailing dotted quad read). */
function expandIPv6(address: string): number[] {
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const part = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const front = part(head);
  const back = tail === undefined ? [] : part(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}
