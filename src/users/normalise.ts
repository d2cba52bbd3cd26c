import { isEmail } from 'class-validator';
import { textProblem } from '../common/validators.js';

/**
 * The one spelling of an email or username that Latchkey stores and compares: Unicode NFKC
 * (full-width and compatibility forms fold to their plain letters, e.g. `ＡＤＡ` → `ada`), trimmed,
 * lower-cased. Dots and `+tags` are kept: they are part of the address for most providers.
 */
export function normaliseIdentifier(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

export const normaliseEmail = normaliseIdentifier;
export const normaliseUsername = normaliseIdentifier;

export const MAX_EMAIL_LENGTH = 254;
export const MAX_NAME_LENGTH = 150;

/**
 * Why a normalised email or username is unacceptable, or undefined when it is fine. Checked on the
 * normalised value because that is what is stored: NFKC can make one character many (U+FDFA is 18), so a
 * raw value well inside every limit can still break the column's CHECK.
 */
export function identifierProblem(identifier: string): string | undefined {
  if (identifier.length === 0) return 'must not be empty';
  if (codePointsOver(identifier, MAX_EMAIL_LENGTH)) {
    return `must be at most ${MAX_EMAIL_LENGTH} characters once normalised (NFKC)`;
  }
  return textProblem(identifier);
}

/** PostgreSQL's length(): characters (code points), not the UTF-16 units of String.length. */
function codePointsOver(value: string, max: number): boolean {
  if (value.length <= max) return false;
  // Each pair of surrogates is one character: String.length less the pairs.
  const pairs = value.match(/[\ud800-\udbff][\udc00-\udfff]/g)?.length ?? 0;
  return value.length - pairs > max;
}

/** Why a normalised username is unacceptable, or undefined when it is fine. */
export const usernameProblem = identifierProblem;

/** Why a normalised email is unacceptable, or undefined when it is fine. */
export function emailProblem(email: string): string | undefined {
  const problem = identifierProblem(email);
  if (problem) return problem;
  if (!plainEmail(email) && !isEmail(email, EMAIL_OPTIONS)) return 'must be an email address';
  return undefined;
}

export const EMAIL_OPTIONS = { allow_utf8_local_part: true, allow_ip_domain: false };

// An ASCII address of the everyday shape: dot-separated atoms, then host labels and a letters-only TLD.
const PLAIN_EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/**
 * True only for addresses `isEmail` (with EMAIL_OPTIONS) accepts too, decided by one regular expression:
 * `isEmail` is among a bulk sync's largest costs in Node. False means "ask isEmail". A property test holds
 * the implication.
 */
export function plainEmail(email: string): boolean {
  return email.length <= MAX_EMAIL_LENGTH && email.indexOf('@') <= 64 && PLAIN_EMAIL.test(email);
}

/** Escapes `%`, `_` and `\` so that user input matches itself in LIKE. */
export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}
