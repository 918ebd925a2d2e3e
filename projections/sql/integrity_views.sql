-- Integrity views (`check`), queryable with `videotheque sql` after a check.
-- integrity_checks: every check run and its summary (the trend over time).
CREATE OR REPLACE VIEW integrity_checks AS
SELECT
    run_id, started_at, ended_at, status, exit_code,
    coalesce(CAST(json_extract(arguments, '$.verify_hash') AS BOOLEAN), false) AS verify_hash,
    coalesce(CAST(json_extract(arguments, '$.full') AS BOOLEAN), false) AS full_hash,
    CAST(json_extract(summary, '$.ghosts') AS INTEGER) AS ghosts,
    CAST(json_extract(summary, '$.orphans') AS INTEGER) AS orphans,
    CAST(json_extract(summary, '$.broken_links') AS INTEGER) AS broken_links,
    CAST(json_extract(summary, '$.stray_links') AS INTEGER) AS stray_links,
    CAST(json_extract(summary, '$.duplicates') AS INTEGER) AS duplicates,
    CAST(json_extract(summary, '$.hash_mismatches') AS INTEGER) AS hash_mismatches,
    CAST(json_extract(summary, '$.unreadable_media') AS INTEGER) AS unreadable_media,
    CAST(json_extract(summary, '$.errors') AS INTEGER) AS errors,
    CAST(json_extract(summary, '$.unreachable') AS INTEGER) AS unreachable,
    CAST(json_extract(summary, '$.files') AS INTEGER) AS files,
    CAST(json_extract(summary, '$.links') AS INTEGER) AS links,
    CAST(json_extract(summary, '$.verified') AS INTEGER) AS verified
FROM runs
WHERE command = 'check';

-- The latest finished check: the findings views below show what it found.
CREATE OR REPLACE VIEW integrity_latest AS
SELECT run_id, started_at, ended_at, exit_code
FROM runs
WHERE command = 'check' AND status = 'finished'
ORDER BY started_at DESC, run_id DESC
LIMIT 1;

CREATE OR REPLACE VIEW integrity_ghosts AS
SELECT f.path, f.file_id, f.run_id, f.found_at
FROM integrity_findings f JOIN integrity_latest l USING (run_id)
WHERE f.category = 'ghosts';

CREATE OR REPLACE VIEW integrity_orphans AS
SELECT f.path, f.run_id, f.found_at
FROM integrity_findings f JOIN integrity_latest l USING (run_id)
WHERE f.category = 'orphans';

CREATE OR REPLACE VIEW integrity_broken_links AS
SELECT f.link, f.target, f.reason, f.run_id, f.found_at
FROM integrity_findings f JOIN integrity_latest l USING (run_id)
WHERE f.category = 'broken_links';

CREATE OR REPLACE VIEW integrity_stray_links AS
SELECT f.link, f.target, f.reason, f.run_id, f.found_at
FROM integrity_findings f JOIN integrity_latest l USING (run_id)
WHERE f.category = 'stray_links';

CREATE OR REPLACE VIEW integrity_duplicates AS
SELECT f.fingerprint, f.file_id, f.paths, f.run_id, f.found_at
FROM integrity_findings f JOIN integrity_latest l USING (run_id)
WHERE f.category = 'duplicates';

CREATE OR REPLACE VIEW integrity_unreadable_media AS
SELECT f.path, f.reason, f.run_id, f.found_at
FROM integrity_findings f JOIN integrity_latest l USING (run_id)
WHERE f.category = 'unreadable_media';

CREATE OR REPLACE VIEW integrity_errors AS
SELECT f.path, f.reason, f.run_id, f.found_at
FROM integrity_findings f JOIN integrity_latest l USING (run_id)
WHERE f.category IN ('errors', 'unreachable');

-- Hash mismatches are a state, not one run's list: `--oldest N` verifies part of the
-- library each night, so this is every current path whose latest verification failed.
CREATE OR REPLACE VIEW integrity_hash_mismatches AS
SELECT v.path, v.file_id, v.mismatch, v.expected, v.actual, v.verified_at, v.run_id
FROM integrity_verifications v
JOIN file_paths p ON p.file_id = v.file_id AND p.raw_path = v.raw_path
WHERE NOT v.ok;
