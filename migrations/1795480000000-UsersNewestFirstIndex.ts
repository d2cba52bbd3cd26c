import type { MigrationInterface, QueryRunner } from 'typeorm';

export class UsersNewestFirstIndex1795480000000 implements MigrationInterface {
  name = 'UsersNewestFirstIndex1795480000000';

  async up(q: QueryRunner): Promise<void> {
    // The directory lists newest first. Unlike email order, creation order does not cluster the users a
    // search matches (every "olivia.*@" sits together in email order), so walking this index and keeping
    // the matches finds a page of a common term after a few thousand rows, not half the table.
    await q.query(`CREATE INDEX users_created_at_idx ON users (created_at DESC, id DESC)`);
    // That walk is the right plan only for common terms, and the planner cannot know which terms are common
    // (it guesses `LIKE '%…%'` matches a few rows, and then prefers reading the whole table and sorting it:
    // 220 ms instead of 1 ms for a term that 10 % of users match). The caller knows, from a sample; a
    // function's own settings are how one query gets a plan of its choosing. Not inlined (it has SET
    // clauses), so the query inside is planned with them.
    await q.query(`
      CREATE FUNCTION users_newest_matching(pattern text, page_limit int, page_offset int)
        RETURNS SETOF users LANGUAGE sql STABLE
        SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off
      AS $$
        SELECT * FROM users WHERE search_text LIKE pattern ESCAPE '\\'
         ORDER BY created_at DESC, id DESC LIMIT page_limit OFFSET page_offset
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION users_newest_matching(text, int, int)`);
    await q.query(`DROP INDEX users_created_at_idx`);
  }
}
