import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

const ID_BYTES = 16;
const MAC_BYTES = 32;

/**
 * A refresh token is `base64url(id ‖ HMAC-SHA256(key, id))`: opaque to clients, unforgeable without the
 * server key, and re-derivable from its id, so the database keeps no token value (nor a hash to steal)
 * and a concurrent refresh can be handed the very same successor.
 */
export function refreshTokenValue(key: KeyObject, id: string): string {
  const idBytes = Buffer.from(id.replace(/-/g, ''), 'hex');
  return Buffer.concat([idBytes, mac(key, idBytes)]).toString('base64url');
}

/** The id inside a genuine refresh token, or undefined for anything else. Constant-time on the MAC. */
export function refreshTokenId(key: KeyObject, value: string): string | undefined {
  if (value.length !== 64 || !/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length !== ID_BYTES + MAC_BYTES) return undefined;
  const idBytes = bytes.subarray(0, ID_BYTES);
  if (!timingSafeEqual(bytes.subarray(ID_BYTES), mac(key, idBytes))) return undefined;
  const hex = idBytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function mac(key: KeyObject, idBytes: Buffer): Buffer {
  return createHmac('sha256', key).update('latchkey-refresh:').update(idBytes).digest();
}
