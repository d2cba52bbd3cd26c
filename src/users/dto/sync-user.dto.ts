import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { NullAsAbsent } from '../../common/validators.js';
import { UserWritableFields } from './user-fields.js';

/** One item of `POST /api/users`: an idempotent upsert keyed by the normalised email. */
export class SyncUserDto extends UserWritableFields {
  @ApiProperty({ example: 'ada@example.com' })
  @IsString()
  @MaxLength(320)
  email!: string;
}

export class PatchUserDto extends UserWritableFields {
  @ApiPropertyOptional({ example: 'ada@example.com' })
  @IsOptional()
  @NullAsAbsent()
  @IsString()
  @MaxLength(320)
  email?: string;
}
