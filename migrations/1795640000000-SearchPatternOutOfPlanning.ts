import type { MigrationInterface, QueryRunner } from 'typeorm';

/** users_newest_matching (migration UsersNewestFirstIndex) with `match` as its filter. */
const newestMatching = (match: string): string => `
  CREATE OR REPLACE FUNCTION users_newest_matching(pattern text, page_limit int, page_offset int)
    RETURNS SETOF users LANGUAGE sql STABLE
    SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off
  AS $$
    SELECT * FROM users WHERE ${match}
     ORDER BY created_at DESC, id DESC LIMIT page_limit OFFSET page_offset
  $$`;

export class SearchPatternOutOfPlanning1795640000000 implements MigrationInterface {
  name = 'SearchPatternOutOfPlanning1795640000000';

  async up(q: QueryRunner): Promise<void> {
    // Planning `search_text LIKE '%…%'` with the pattern in view tries it on every entry of the column's
    // 1,000-entry histogram (SearchTextStatistics): 0.5–1 ms of each search, spent again for a plan that
    // the function's settings already fix. Behind a sub-select the pattern is a value the planner cannot
    // see, so it takes its default guess. LIKE's default escape character is the backslash, as before.
    await q.query(newestMatching('search_text LIKE (SELECT pattern)'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(newestMatching(`search_text LIKE pattern ESCAPE '\\'`));
  }
}
