import { DomainError } from '../common/errors.js';
import { isUniqueViolation } from '../database/pg-error.js';

/** A write that broke the email or username uniqueness (a race, or a taken username): 409 naming the field. */
export function rethrowUniqueViolation(error: unknown): never {
  if (isUniqueViolation(error, 'users_username_key')) {
    throw new DomainError('conflict', 'This username is already taken by another user', [
      { field: 'username', reason: 'already taken by another user' },
    ]);
  }
  if (isUniqueViolation(error, 'users_email_key')) {
    throw new DomainError('conflict', 'This email belongs to another user', [
      { field: 'email', reason: 'already used by another user' },
    ]);
  }
  throw error;
}
