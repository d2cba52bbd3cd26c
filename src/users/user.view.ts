import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { recentMemo } from '../common/recent-memo.js';
import { User, type UserSource } from './user.entity.js';

/** A user as every endpoint returns it (contract §2): snake_case, never a password or hash. */
export class UserView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() username!: string;
  @ApiProperty() first_name!: string;
  @ApiProperty() last_name!: string;
  @ApiProperty() is_active!: boolean;
  @ApiProperty() is_admin!: boolean;
  @ApiProperty({ enum: ['local', 'sso', 'sync'] }) source!: UserSource;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_login_at!: string | null;
}

// A bulk sync answers thousands of users whose timestamps take a handful of values: each distinct value
// is formatted once rather than once per row.
const isoTime = recentMemo((time: number) => new Date(time).toISOString());

export function toUserView(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    first_name: user.firstName,
    last_name: user.lastName,
    is_active: user.isActive,
    is_admin: user.isAdmin,
    source: user.source,
    created_at: isoTime(user.createdAt.getTime()),
    updated_at: isoTime(user.updatedAt.getTime()),
    last_login_at: user.lastLoginAt ? isoTime(user.lastLoginAt.getTime()) : null,
  };
}

export class SyncResultView {
  @ApiProperty() created!: number;
  @ApiProperty() updated!: number;
  @ApiProperty() unchanged!: number;
  @ApiProperty({ type: [UserView] }) users!: UserView[];
}

export class UserPageView {
  @ApiProperty({ description: 'Exact, or an estimate when count_is_estimate is true' }) count!: number;
  @ApiPropertyOptional({
    description:
      'Present (true) when count is an estimate (the database planner’s): over 10,000 matches among over 100,000 users',
  })
  count_is_estimate?: true;
  @ApiProperty({ nullable: true, type: String }) next!: string | null;
  @ApiProperty({ nullable: true, type: String }) previous!: string | null;
  @ApiProperty({ type: [UserView] }) results!: UserView[];
}
