/**
 * A write that makes Litestream 0.3.13's next sync see a changed WAL and ship everything pending:
 * the very write Litestream makes itself to give the WAL a frame (db.go ensureWALExists), on its
 * own table (`_litestream_seq`, created when Litestream first opens the database).
 *
 * Why it is needed: Litestream ships the shadow WAL to the replica only when its database loop says
 * the WAL changed, and two things lose that signal until the NEXT write: a replica sync that fails
 * (one upload the bucket refused is not retried), and a commit that lands between db.Sync's stat of
 * the WAL and its copy (the copy takes the frames, the stale stat says "unchanged"; seen 2 times in
 * 400 single writes in a loop of db-pull's set-up, with Litestream's debug log showing it).
 */
export const LITESTREAM_NUDGE_SQL =
  'INSERT INTO _litestream_seq (id, seq) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET seq = seq + 1';
