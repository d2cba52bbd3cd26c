import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';

export class ConsentDecisionDto {
  @ApiProperty({ description: 'true: allow the application; false: deny it' })
  @IsBoolean()
  allow!: boolean;
}
