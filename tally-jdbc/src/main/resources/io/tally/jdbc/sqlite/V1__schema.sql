-- Tally schema v1 for SQLite. ${p} is the table prefix, ${n} the same prefix for index names.
-- Times are UTC epoch milliseconds; durations are milliseconds. JSON is kept as TEXT; booleans as 0/1.
-- Ids, names, scopes and keys compare and sort byte for byte (BINARY collation, the default).
CREATE TABLE IF NOT EXISTS ${p}jobs (
    id                 VARCHAR(128) NOT NULL PRIMARY KEY,
    name               VARCHAR(512) NOT NULL,
    scope              VARCHAR(512),
    parent             VARCHAR(128),
    metadata           TEXT NOT NULL,
    state              VARCHAR(16) NOT NULL,
    total              BIGINT NOT NULL,
    succeeded          BIGINT NOT NULL,
    failed             BIGINT NOT NULL,
    parts              INTEGER NOT NULL,
    tolerated_failures INTEGER NOT NULL,
    settled            INTEGER NOT NULL,
    created_at         BIGINT NOT NULL,
    started_at         BIGINT,
    updated_at         BIGINT NOT NULL,
    finished_at        BIGINT,
    timeout_ms         BIGINT,
    heartbeat_ms       BIGINT,
    retain_ms          BIGINT,
    deadline           BIGINT,
    lease_until        BIGINT,
    retain_until       BIGINT,
    result             TEXT,
    error_message      TEXT,
    error_type         TEXT,
    error_stack        TEXT,
    error_reason       VARCHAR(16),
    message            TEXT,
    rate               REAL,
    rate_at            BIGINT,
    rate_acc           BIGINT NOT NULL,
    log_seq            BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS ${n}jobs_created_idx ON ${p}jobs (created_at, id);
CREATE INDEX IF NOT EXISTS ${n}jobs_state_idx ON ${p}jobs (state, created_at, id);
CREATE INDEX IF NOT EXISTS ${n}jobs_scope_idx ON ${p}jobs (scope, created_at, id) WHERE scope IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${n}jobs_name_idx ON ${p}jobs (name, created_at, id);
CREATE INDEX IF NOT EXISTS ${n}jobs_parent_idx ON ${p}jobs (parent, created_at, id) WHERE parent IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${n}jobs_lease_idx ON ${p}jobs (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${n}jobs_deadline_idx ON ${p}jobs (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${n}jobs_retain_idx ON ${p}jobs (retain_until) WHERE retain_until IS NOT NULL;

CREATE TABLE IF NOT EXISTS ${p}items (
    job_id   VARCHAR(128) NOT NULL,
    item_key VARCHAR(512) NOT NULL,
    outcome  SMALLINT NOT NULL,
    reason   TEXT,
    PRIMARY KEY (job_id, item_key)
);
CREATE INDEX IF NOT EXISTS ${n}items_outcome_idx ON ${p}items (job_id, outcome, item_key);

CREATE TABLE IF NOT EXISTS ${p}parts (
    job_id  VARCHAR(128) NOT NULL,
    part    INTEGER NOT NULL,
    outcome SMALLINT NOT NULL,
    reason  TEXT,
    payload TEXT NOT NULL,
    PRIMARY KEY (job_id, part)
);
CREATE INDEX IF NOT EXISTS ${n}parts_outcome_idx ON ${p}parts (job_id, outcome, part);

CREATE TABLE IF NOT EXISTS ${p}logs (
    job_id  VARCHAR(128) NOT NULL,
    seq     BIGINT NOT NULL,
    at      BIGINT NOT NULL,
    level   TEXT NOT NULL,
    logger  TEXT,
    message TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
