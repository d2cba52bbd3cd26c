import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { PlainText, Trim } from '../../common/validators.js';
import { API_TOKEN_SCOPES, type ApiTokenScope } from '../api-token.entity.js';

export class CreateApiTokenDto {
  @ApiProperty({ example: 'hr-sync' })
  // Trimmed before the length check: a name of blanks is empty (the column's CHECK would refuse it).
  @IsString()
  @Trim()
  @MinLength(1)
  @MaxLength(100)
  @PlainText()
  name!: string;

  @ApiProperty({ enum: API_TOKEN_SCOPES, isArray: true, example: ['users:write'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_TOKEN_SCOPES.length)
  @IsIn(API_TOKEN_SCOPES, { each: true })
  scopes!: ApiTokenScope[];
}
