import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { PlainText } from '../../common/validators.js';
import { NormalisedMaxLength } from './identifier.validator.js';

export const MAX_PAGE_SIZE = 500;

export class ListUsersQuery {
  @ApiPropertyOptional({ description: 'Literal, case-insensitive substring of email, username or names' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  // The term is searched normalised, and NFKC can make one character many.
  @NormalisedMaxLength(200)
  @PlainText()
  search?: string;

  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  page_size?: number;
}
