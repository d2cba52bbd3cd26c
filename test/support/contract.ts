/** The keys of a user as every endpoint returns it (contract §2), sorted. */
export const USER_KEYS = [
  'created_at',
  'email',
  'first_name',
  'id',
  'is_active',
  'is_admin',
  'last_login_at',
  'last_name',
  'source',
  'updated_at',
  'username',
];
