// The users table's columns as raw SQL reads them, for every repository whose statements return users.
import { User, type UserSource } from './user.entity.js';

export interface UserRow {
  id: string;
  email: string;
  username: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_admin: boolean;
  source: UserSource;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
}

export const USER_COLUMNS =
  'id, email, username, first_name, last_name, is_active, is_admin, source, created_at, updated_at, last_login_at';
// The same columns qualified, for statements that join users (as u) with another source of rows.
export const USER_COLUMNS_OF_U = USER_COLUMNS.split(', ')
  .map((column) => `u.${column}`)
  .join(', ');

// Raw rows rather than TypeORM's entity hydration, which for a bulk sync's rows costs more than the query.
export function toUser(row: UserRow): User {
  return Object.assign(new User(), {
    id: row.id,
    email: row.email,
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    isActive: row.is_active,
    isAdmin: row.is_admin,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
  });
}
