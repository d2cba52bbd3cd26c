import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { MaxBytes, NullAsAbsent, PlainText } from '../../common/validators.js';
import { MAX_PASSWORD_BYTES } from '../../auth/passwords/password-hasher.js';
import { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH } from '../normalise.js';

export const MIN_PASSWORD_LENGTH = 8;

/** The writable fields of a user, shared by sync (create/update) and PATCH. */
export class UserWritableFields {
  @IsOptional()
  @NullAsAbsent()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_EMAIL_LENGTH)
  @PlainText()
  username?: string;

  @IsOptional()
  @NullAsAbsent()
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  @PlainText()
  first_name?: string;

  @IsOptional()
  @NullAsAbsent()
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  @PlainText()
  last_name?: string;

  @IsOptional()
  @NullAsAbsent()
  @IsBoolean()
  is_active?: boolean;

  /** Write-only: hashed with argon2id, never returned. */
  @IsOptional()
  @NullAsAbsent()
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxBytes(MAX_PASSWORD_BYTES)
  password?: string;
}
