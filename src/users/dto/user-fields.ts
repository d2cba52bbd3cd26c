import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { MaxBytes, NoControlCharacters } from '../../common/validators.js';
import { MAX_PASSWORD_BYTES } from '../../auth/passwords/password-hasher.js';
import { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH } from '../normalise.js';

export const MIN_PASSWORD_LENGTH = 8;

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
