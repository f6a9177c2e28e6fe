-- Tally schema v2 for SQLite: events for other processes on the same file (SqliteChannel). A writer inserts a row in
-- the transaction of the write, so it is seen on commit only; readers poll for rows past the last they read. Old rows
-- are trimmed by the writers: this is a window of recent events, not a history.
CREATE TABLE IF NOT EXISTS ${p}events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    payload TEXT NOT NULL
);
