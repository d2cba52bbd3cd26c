import { type FieldProblem, ValidationError } from '../common/errors.js';
import { validateObject } from '../common/validation.js';
import { SyncUserDto } from './dto/sync-user.dto.js';
import { emailProblem, normaliseEmail, normaliseUsername, usernameProblem } from './normalise.js';
import { plainlyValidItem } from './sync-item-check.js';
import type { UpsertRow } from './users.repository.js';

export const MAX_BULK_ITEMS = 10_000;

/** A validated sync item with its email and username already normalised: a row to upsert, password unhashed. */
export type SyncItem = Omit<UpsertRow, 'passwordHash'> & { password?: string };

export interface SyncInput {
  bulk: boolean;
  items: SyncItem[];
}

/**
 * Reads the body of `POST /api/users`: one object, or an array of 1–10,000. Every problem of every
 * item is collected before anything is written, so a bad item rejects the whole request. Emails and
 * usernames are checked once normalised: that is the value the table's CHECKs see.
 * Duplicate emails (after normalisation) inside one request are refused rather than merged:
 * which spelling should win is the caller's decision, not ours.
 */
export function parseSyncBody(body: unknown): SyncInput {
  const bulk = Array.isArray(body);
  const raw: unknown[] = bulk ? body : [body];
  if (bulk && (raw.length === 0 || raw.length > MAX_BULK_ITEMS)) {
    throw new ValidationError([{ field: '', reason: `must hold 1 to ${MAX_BULK_ITEMS} users` }]);
  }
  const problems: FieldProblem[] = [];
  const items: SyncItem[] = [];
  const emailIndex = new Map<string, number>();
  const usernameIndex = new Map<string, number>();
  raw.forEach((value, i) => {
    const index = bulk ? i : undefined;
    const at = index === undefined ? {} : { index };
    let dto = plainlyValidItem(value);
    if (!dto) {
      const checked = validateObject(SyncUserDto, value, index);
      if (checked.problems.length > 0) {
        problems.push(...checked.problems);
        return;
      }
      dto = checked.value;
    }
    const item = toItem(dto);
    const badEmail = emailProblem(item.email);
    if (badEmail) problems.push({ ...at, field: 'email', reason: badEmail });
    const badUsername = item.username === undefined ? undefined : usernameProblem(item.username);
    if (badUsername) problems.push({ ...at, field: 'username', reason: badUsername });
    const firstEmail = emailIndex.get(item.email);
    if (firstEmail !== undefined) {
      problems.push({
        ...at,
        field: 'email',
        reason: `duplicate of item ${firstEmail} (emails compare normalised)`,
      });
    } else {
      emailIndex.set(item.email, i);
    }
    const username = item.username ?? item.email;
    const firstUsername = usernameIndex.get(username);
    if (firstUsername !== undefined && firstEmail === undefined) {
      problems.push({ ...at, field: 'username', reason: `already used by item ${firstUsername}` });
    } else {
      usernameIndex.set(username, i);
    }
    items.push(item);
  });
  if (problems.length > 0) throw new ValidationError(problems);
  return { bulk, items };
}

function toItem(dto: SyncUserDto): SyncItem {
  return {
    email: normaliseEmail(dto.email),
    username: dto.username === undefined ? undefined : normaliseUsername(dto.username),
    firstName: dto.first_name?.trim(),
    lastName: dto.last_name?.trim(),
    isActive: dto.is_active,
    password: dto.password,
  };
}
