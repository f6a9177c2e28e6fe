-- Tally schema v1 for MariaDB / MySQL. ${p} is the table prefix, ${n} the same prefix for index names.
-- Times are UTC epoch milliseconds; durations are milliseconds. JSON columns are MariaDB's JSON (LONGTEXT, checked).
-- All text is utf8mb4_nopad_bin: compared and sorted byte for byte, trailing spaces significant.
-- DDL is not transactional here, so every statement is safe to run again.
CREATE TABLE IF NOT EXISTS ${p}jobs (
    id                 VARCHAR(128) NOT NULL PRIMARY KEY,
    name               VARCHAR(512) NOT NULL,
    scope              VARCHAR(512),
    parent             VARCHAR(128),
    metadata           JSON NOT NULL,
    state              VARCHAR(16) NOT NULL,
    total              BIGINT NOT NULL,
    succeeded          BIGINT NOT NULL,
    failed             BIGINT NOT NULL,
    parts              INT NOT NULL,
    tolerated_failures INT NOT NULL,
    settled            BOOLEAN NOT NULL,
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
    result             JSON,
    error_message      MEDIUMTEXT,
    error_type         TEXT,
    error_stack        MEDIUMTEXT,
    error_reason       VARCHAR(16),
    message            MEDIUMTEXT,
    rate               DOUBLE,
    rate_at            BIGINT,
    rate_acc           BIGINT NOT NULL,
    log_seq            BIGINT NOT NULL,
    INDEX ${n}jobs_created_idx (created_at, id),
    INDEX ${n}jobs_state_idx (state, created_at, id),
    INDEX ${n}jobs_scope_idx (scope, created_at, id),
    INDEX ${n}jobs_name_idx (name, created_at, id),
    INDEX ${n}jobs_parent_idx (parent, created_at, id),
    INDEX ${n}jobs_lease_idx (lease_until),
    INDEX ${n}jobs_deadline_idx (deadline),
    INDEX ${n}jobs_retain_idx (retain_until)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS ${p}items (
    job_id   VARCHAR(128) NOT NULL,
    item_key VARCHAR(512) NOT NULL,
    outcome  SMALLINT NOT NULL,
    reason   TEXT,
    PRIMARY KEY (job_id, item_key),
    INDEX ${n}items_outcome_idx (job_id, outcome, item_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS ${p}parts (
    job_id  VARCHAR(128) NOT NULL,
    part    INT NOT NULL,
    outcome SMALLINT NOT NULL,
    reason  TEXT,
    payload JSON NOT NULL,
    PRIMARY KEY (job_id, part),
    INDEX ${n}parts_outcome_idx (job_id, outcome, part)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS ${p}logs (
    job_id  VARCHAR(128) NOT NULL,
    seq     BIGINT NOT NULL,
    at      BIGINT NOT NULL,
    level   TEXT NOT NULL,
    logger  TEXT,
    message MEDIUMTEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;
