import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
// In a `u` pattern a surrogate only matches when it is not half of a pair.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}

/**
 * Why a string is not plain text, or undefined when it is. C0/C1 controls never belong in a name or an
 * address (and PostgreSQL refuses NUL in text); a lone surrogate is no character at all: the driver would
 * store it as U+FFFD, so two different inputs would become one stored value.
 */
export function textProblem(value: string): string | undefined {
  if (CONTROL_CHARACTERS.test(value)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (it has a lone surrogate)';
  return undefined;
}

/** A string field must be plain text (see textProblem); other types are left to the type check. */
export function PlainText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'plainText',
      validator: {
        validate: (value) => typeof value !== 'string' || textProblem(value) === undefined,
        defaultMessage: (args) =>
          (typeof args?.value === 'string' && textProblem(args.value)) || 'must be plain text',
      },
    },
    options,
  );
}

/**
 * Trims a string before it is validated, so that length rules see what is stored: `"   "` is empty, not
 * three characters long. Other types pass untouched, for the type check to refuse.
 */
export function Trim(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
}

/**
 * JSON null means "not given" for an optional field, as if the key were absent: code after validation then
 * only ever sees a value of the right type or undefined, never a null it did not expect.
 */
export function NullAsAbsent(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (value === null ? undefined : value));
}

/** Length in UTF-8 bytes, which is what a hash function or a database limit sees. */
export function MaxBytes(max: number): PropertyDecorator {
  return ValidateBy({
    name: 'maxBytes',
    validator: {
      validate: (value) => typeof value !== 'string' || Buffer.byteLength(value, 'utf8') <= max,
      defaultMessage: () => `must be at most ${max} bytes`,
    },
  });
}
