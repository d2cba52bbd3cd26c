import { MAX_PASSWORD_BYTES } from '../auth/passwords/argon2-params.js';
import { textProblem } from '../common/validators.js';
import type { SyncUserDto } from './dto/sync-user.dto.js';
import { MIN_PASSWORD_LENGTH } from './dto/user-fields.js';
import { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH } from './normalise.js';

const FIELDS = new Set(['email', 'username', 'first_name', 'last_name', 'is_active', 'password']);

/**
 * The rules of SyncUserDto, written out for the common case of a well-formed item: class-transformer and
 * class-validator were a bulk sync's largest cost in Node (bench/README.md, "Optimisations that stay"). Undefined means "not plainly
 * valid": the caller then runs the full validation, which names every problem exactly as before. A unit
 * test holds the two to the same verdict.
 */
export function plainlyValidItem(value: unknown): SyncUserDto | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const item = value as Record<string, unknown>;
  for (const key in item) if (!FIELDS.has(key)) return undefined;
  const { email, username, first_name, last_name, is_active, password } = item;
  if (typeof email !== 'string' || email.length > 320) return undefined;
  const dto: SyncUserDto = { email };
  if (username !== undefined && username !== null) {
    if (!isName(username, MAX_EMAIL_LENGTH) || username.length < 1) return undefined;
    dto.username = username;
  }
  if (first_name !== undefined && first_name !== null) {
    if (!isName(first_name, MAX_NAME_LENGTH)) return undefined;
    dto.first_name = first_name;
  }
  if (last_name !== undefined && last_name !== null) {
    if (!isName(last_name, MAX_NAME_LENGTH)) return undefined;
    dto.last_name = last_name;
  }
  if (is_active !== undefined && is_active !== null) {
    if (typeof is_active !== 'boolean') return undefined;
    dto.is_active = is_active;
  }
  if (password !== undefined && password !== null) {
    if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) return undefined;
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return undefined;
    dto.password = password;
  }
  return dto;
}

function isName(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength && textProblem(value) === undefined;
}
