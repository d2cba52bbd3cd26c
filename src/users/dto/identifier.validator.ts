import { ValidateBy } from 'class-validator';
import { identifierProblem, normaliseIdentifier } from '../normalise.js';

/**
 * A string that names an account once normalised: not empty, at most 254 characters, plain text. The raw
 * value is not enough to judge: NFKC can expand it past the limit, and trimming can leave nothing.
 */
export function IsIdentifier(): PropertyDecorator {
  const problem = (value: unknown): string | undefined =>
    typeof value === 'string' ? identifierProblem(normaliseIdentifier(value)) : undefined;
  return ValidateBy({
    name: 'isIdentifier',
    validator: {
      validate: (value) => problem(value) === undefined,
      defaultMessage: (args) => problem(args?.value) ?? 'must be a username or an email',
    },
  });
}

/** At most `max` characters once normalised as an identifier is (what a search term is compared as). */
export function NormalisedMaxLength(max: number): PropertyDecorator {
  return ValidateBy({
    name: 'normalisedMaxLength',
    validator: {
      validate: (value) => typeof value !== 'string' || normaliseIdentifier(value).length <= max,
      defaultMessage: () => `must be at most ${max} characters once normalised (NFKC)`,
    },
  });
}
