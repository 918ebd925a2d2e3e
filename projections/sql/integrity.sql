-- Integrity (`check`): the findings of every check run, and each path's latest verification.
-- Fed by Run `FindingsRecorded` / `HashesVerified` and MediaFile `HashVerified` (mismatches) /
-- `FullHashRecorded` events, so `rebuild` gives the same rows. The views in integrity_views.sql pick the latest check.

-- One row per finding per run. `category` is the `check --json` key: ghosts, orphans,
-- broken_links, stray_links, duplicates, hash_mismatches, unreadable_media, errors,
-- unreachable. Paths are relative to their root (storage for files, video for links).
CREATE TABLE IF NOT EXISTS integrity_findings (
    run_id       VARCHAR,
    position     BIGINT,          -- the event that recorded it
    found_at     TIMESTAMPTZ,
    category     VARCHAR,
    path         VARCHAR,         -- display form
    raw_path     BLOB,            -- exact bytes
    file_id      UUID,
    link         VARCHAR,
    target       VARCHAR,
    reason       VARCHAR,
    fingerprint  VARCHAR,
    paths        VARCHAR[],       -- duplicates: every path of the content
    expected     VARCHAR,         -- hash mismatches: what was recorded ...
    actual       VARCHAR,         -- ... and what the disk holds now
    mismatch     VARCHAR          -- fingerprint | full_hash
);

-- The latest verification of each path of each content (`check --verify-hash`).
CREATE TABLE IF NOT EXISTS integrity_verifications (
    file_id      UUID,
    raw_path     BLOB,
    path         VARCHAR,
    verified_at  TIMESTAMPTZ,
    ok           BOOLEAN,
    mismatch     VARCHAR,         -- '' when ok, else fingerprint | full_hash
    expected     VARCHAR,
    actual       VARCHAR,
    full_check   VARCHAR,         -- '' (sampled only) | recorded | compared
    run_id       VARCHAR,
    PRIMARY KEY (file_id, raw_path)
);

-- The full-file hash of each content, recorded the first time `check --full` read it.
CREATE TABLE IF NOT EXISTS integrity_full_hashes (
    file_id      UUID PRIMARY KEY,
    full_hash    VARCHAR,
    algorithm    VARCHAR,
    path         VARCHAR,
    recorded_at  TIMESTAMPTZ,
    run_id       VARCHAR
);
