import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { NoControlCharacters } from '../../common/validators.js';
import { API_TOKEN_SCOPES, type ApiTokenScope } from '../api-token.entity.js';

export class CreateApiTokenDto {
  @ApiProperty({ example: 'hr-sync' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @NoControlCharacters()
  name!: string;

  @ApiProperty({ enum: API_TOKEN_SCOPES, isArray: true, example: ['users:write'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_TOKEN_SCOPES.length)
  @IsIn(API_TOKEN_SCOPES, { each: true })
  scopes!: ApiTokenScope[];
}
