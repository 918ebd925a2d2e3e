-- The links of the video tree that the tool made or touched, and every path a file had.
CREATE TABLE IF NOT EXISTS links (
    id               UUID PRIMARY KEY,   -- domain.ids.link_id(link)
    link             VARCHAR,            -- relative to the video root, display form
    raw_link         BLOB,               -- the same, exact bytes
    target           VARCHAR,            -- the link's text now (NULL: no link there)
    raw_target       BLOB,
    target_path      VARCHAR,            -- what it names, relative to storage (NULL: outside)
    raw_target_path  BLOB,
    file_id          UUID,               -- the file behind it, when known
    state            VARCHAR,            -- found | linked | quarantined | removed | absent
    method           VARCHAR,            -- how it was last repaired: identity | name | basename
    trash_path       VARCHAR,            -- relative to the trash root (quarantined, removed)
    raw_trash_path   BLOB,
    version          INTEGER,            -- the aggregate's version after its last event
    first_run_id     VARCHAR,
    last_run_id      VARCHAR,
    last_event       VARCHAR,
    tracked_at       TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ
);

-- Every path a file has had (imported, moved to, copied to, reappeared at), with the
-- position of the last event that gave it: how a broken link's old target is recognised.
-- The log is appended to (a row per event that gives a path, no index to maintain); the
-- view keeps the last position of each (path, file).
CREATE TABLE IF NOT EXISTS file_path_log (
    raw_path   BLOB,
    file_id    UUID,
    position   BIGINT
);
CREATE OR REPLACE VIEW file_path_history AS
    SELECT raw_path, file_id, max(position) AS position
    FROM file_path_log GROUP BY raw_path, file_id;
