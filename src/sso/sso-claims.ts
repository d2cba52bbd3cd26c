import type { SsoSettings } from '../config/app-config.js';
import { textProblem } from '../common/validators.js';
import { emailProblem, MAX_NAME_LENGTH, normaliseEmail } from '../users/normalise.js';

export interface SsoIdentity {
  email: string;
  firstName?: string;
  lastName?: string;
}

/**
 * Reads who the partner says the user is, through the configured claim names. Only identity is read:
 * claims that look like privileges (is_admin, role, groups, …) are ignored, never mapped.
 */
export function mapSsoClaims(payload: Record<string, unknown>, settings: SsoSettings): SsoIdentity | string {
  const rawEmail = payload[settings.emailClaim];
  if (typeof rawEmail !== 'string') return `the ${settings.emailClaim} claim is missing`;
  const email = normaliseEmail(rawEmail);
  const problem = emailProblem(email);
  if (problem) return `the ${settings.emailClaim} claim ${problem}`;
  if (payload.email_verified === false || payload.email_verified === 'false')
    return 'the email is not verified';
  // OpenID Connect Core §5.1: email_verified is a JSON boolean. Required, only `true` says the partner
  // checked the address: absent, "true" or 1 is a partner that did not say so.
  if (settings.requireEmailVerified && payload.email_verified !== true) return 'the email is not verified';
  return {
    email,
    firstName: name(payload[settings.firstNameClaim]),
    lastName: name(payload[settings.lastNameClaim]),
  };
}

/** A usable name or nothing: a partner's odd value should neither block the login nor reach the directory. */
function name(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.normalize('NFC').trim();
  if (trimmed.length === 0 || textProblem(trimmed) !== undefined) return undefined;
  // Cut at a character, never between the two halves of one (which would leave a lone surrogate).
  if (trimmed.length <= MAX_NAME_LENGTH) return trimmed;
  return Array.from(trimmed).slice(0, MAX_NAME_LENGTH).join('');
}
