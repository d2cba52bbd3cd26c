import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { MaxBytes, NullAsAbsent, Trim } from '../../common/validators.js';
import { IsIdentifier } from '../../users/dto/identifier.validator.js';
import { MAX_PASSWORD_BYTES } from '../passwords/password-hasher.js';

// Surrounding whitespace is forgiven (it is trimmed when the identifier is normalised); control characters
// inside are not: they name no account, and NUL cannot even be compared in PostgreSQL. An identifier that
// is longer than any stored one once normalised is a 400 too, before it costs a hash or a throttle row.
// The raw limit only bounds the work of normalising.
export class LoginDto {
  @ApiPropertyOptional({ description: 'Username or email', example: 'ada@example.com' })
  // Checked whenever it is there, whatever `email` says: a username that is given is the one used.
  @NullAsAbsent()
  @ValidateIf((body: LoginDto) => body.username !== undefined || body.email === undefined)
  @IsString()
  @MaxLength(320)
  @Trim()
  @IsIdentifier()
  username?: string;

  @ApiPropertyOptional({ description: 'Accepted in place of username' })
  @IsOptional()
  @NullAsAbsent()
  @IsString()
  @MaxLength(320)
  @Trim()
  @IsIdentifier()
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
  // A null must not count as "given in the body": the cookie would then be used without its CSRF check.
  @NullAsAbsent()
  @IsString()
  // Long enough for anything token-shaped: a wrong kind of token is a 401 invalid_token, not a 400.
  @MaxLength(8192)
  refresh_token?: string;
}
