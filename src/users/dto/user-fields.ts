import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { MAX_PASSWORD_BYTES } from '../../auth/passwords/password-hasher.js';
import { hasControlCharacters, MAX_EMAIL_LENGTH, MAX_NAME_LENGTH } from '../normalise.js';

export const MIN_PASSWORD_LENGTH = 8;

function NoControlCharacters(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noControlCharacters',
      validator: {
        validate: (value) => typeof value !== 'string' || !hasControlCharacters(value),
        defaultMessage: () => 'must not contain control characters',
      },
    },
    options,
  );
}

function MaxBytes(max: number): PropertyDecorator {
  return ValidateBy({
    name: 'maxBytes',
    validator: {
      validate: (value) => typeof value !== 'string' || Buffer.byteLength(value, 'utf8') <= max,
      defaultMessage: () => `must be at most ${max} bytes`,
    },
  });
}

// JSON null means "not given" for every optional field, as if the key were absent.
const nullAsAbsent = Transform(({ value }: { value: unknown }) => (value === null ? undefined : value));

/** The writable fields of a user, shared by sync (create/update) and PATCH. */
export class UserWritableFields {
  @IsOptional()
  @nullAsAbsent
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_EMAIL_LENGTH)
  @NoControlCharacters()
  username?: string;

  @IsOptional()
  @nullAsAbsent
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  @NoControlCharacters()
  first_name?: string;

  @IsOptional()
  @nullAsAbsent
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  @NoControlCharacters()
  last_name?: string;

  @IsOptional()
  @nullAsAbsent
  @IsBoolean()
  is_active?: boolean;

  /** Write-only: hashed with argon2id, never returned. */
  @IsOptional()
  @nullAsAbsent
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxBytes(MAX_PASSWORD_BYTES)
  password?: string;
}
