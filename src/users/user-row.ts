// The users table's columns, taken from the entity's decorators (user.entity.ts declares each field once),
// for UsersRepository's own SQL: each column is read under its property's name, so a row is already a User.
import { getMetadataArgsStorage } from 'typeorm';
import { User } from './user.entity.js';

/** A user as a statement returns it: every column but the password hash. */
export type UserRow = Omit<User, 'passwordHash'>;

/** The column behind each of the entity's properties. */
export const USER_COLUMN: Readonly<Record<keyof User, string>> = Object.freeze(
  Object.fromEntries(
    getMetadataArgsStorage()
      .columns.filter((column) => column.target === User)
      .map((column) => [column.propertyName, column.options.name ?? column.propertyName]),
  ) as Record<keyof User, string>,
);

const readable = (Object.keys(USER_COLUMN) as (keyof User)[]).filter(
  (property): property is keyof UserRow => property !== 'passwordHash',
);

function selectList(qualifier: string): string {
  return readable.map((property) => `${qualifier}${USER_COLUMN[property]} AS "${property}"`).join(', ');
}

/** The select list of a user (`… first_name AS "firstName" …`). */
export const USER_COLUMNS = selectList('');
/** The same, qualified, for statements that join users (as u) with another source of rows. */
export const USER_COLUMNS_OF_U = selectList('u.');

/**
 * The User in a raw row, which may carry other columns of its statement (`created`, `total`): only the
 * entity's are copied. Raw rows rather than TypeORM's entity hydration, which for a bulk sync's rows costs
 * more than the query.
 */
export function toUser(row: UserRow): User {
  const user = new User();
  const fields: Partial<Record<keyof UserRow, unknown>> = user;
  for (const property of readable) fields[property] = row[property];
  return user;
}
