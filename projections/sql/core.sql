-- The core projections: the catalog of files, their paths, runs and the audit trail.
CREATE TABLE IF NOT EXISTS catalog_files (
    id            UUID PRIMARY KEY,
    path          VARCHAR,         -- current (or last known) path, display form
    raw_path      BLOB,            -- the same path, exact bytes
    size          BIGINT,
    mtime         DOUBLE,
    fingerprint   VARCHAR,
    algorithm     VARCHAR,
    kind          VARCHAR,
    title         VARCHAR,
    year          INTEGER,
    season        INTEGER,
    episode       INTEGER,
    episodes      INTEGER[],
    extra         VARCHAR,
    parser        VARCHAR,
    status        VARCHAR,         -- present | vanished
    path_count    INTEGER,
    imported_at   TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ,
    last_run_id   VARCHAR,
    alternatives  VARCHAR          -- other readings of the name (JSON list), NULL when none
);

CREATE TABLE IF NOT EXISTS file_paths (
    file_id   UUID,
    path      VARCHAR,
    raw_path  BLOB,
    mtime     DOUBLE,
    since     TIMESTAMPTZ
    -- one row per (file_id, raw_path), as the catalog projection writes it; no index
    -- kept for it: maintaining one cost more than the rest of a first import's rows
);

CREATE TABLE IF NOT EXISTS runs (
    run_id      VARCHAR PRIMARY KEY,
    command     VARCHAR,
    arguments   JSON,
    app_version VARCHAR,
    host        VARCHAR,
    started_at  TIMESTAMPTZ,
    ended_at    TIMESTAMPTZ,
    exit_code   INTEGER,
    summary     JSON,
    status      VARCHAR          -- running (or interrupted) | finished
);

CREATE TABLE IF NOT EXISTS events (
    position       BIGINT PRIMARY KEY,
    timestamp      TIMESTAMPTZ,
    run_id         VARCHAR,
    aggregate      VARCHAR,
    type           VARCHAR,
    originator_id  UUID,
    version        INTEGER,
    file_id        UUID,
    path           VARCHAR,
    payload        JSON,            -- the event's data (non-UTF-8 names in display form)
    exact_payload  VARCHAR          -- the exact JSON when it differs (\udcXX escapes)
);
