-- Tally schema v2 for MariaDB / MySQL: events for other processes on the same database (MariaDbChannel). A writer
-- inserts a row in the transaction of the write, so it is seen on commit only; listeners poll for rows they have not
-- read. Old rows are trimmed by the writers: this is a window of recent events, not a history.
CREATE TABLE IF NOT EXISTS ${p}events (
    seq     BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    payload MEDIUMTEXT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;
