import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { MaxBytes, NoControlCharacters } from '../../common/validators.js';
import { MAX_PASSWORD_BYTES } from '../passwords/password-hasher.js';

// Surrounding whitespace is forgiven (it is trimmed when the identifier is normalised); control characters
// inside are not: they name no account, and NUL cannot even be compared in PostgreSQL.
const trimmed = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value,
);

export class LoginDto {
  @ApiPropertyOptional({ description: 'Username or email', example: 'ada@example.com' })
  @ValidateIf((body: LoginDto) => body.email === undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  @trimmed
  @NoControlCharacters()
  username?: string;

  @ApiPropertyOptional({ description: 'Accepted in place of username' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  @trimmed
  @NoControlCharacters()
  email?: string;

  // Checked before any hashing: an oversized password is a 400, not a slow 401.
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxBytes(MAX_PASSWORD_BYTES)
  password!: string;
}

export class RefreshDto {
  @ApiPropertyOptional({ description: 'Or the refresh_token cookie' })
  @IsOptional()
  @IsString()
  // Long enough for anything token-shaped: a wrong kind of token is a 401 invalid_token, not a 400.
  @MaxLength(8192)
  refresh_token?: string;
}
