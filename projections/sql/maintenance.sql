-- `maintain`: what each media server was told, and the NFO sidecars videotheque wrote.
CREATE TABLE IF NOT EXISTS media_servers (
    server_id  UUID PRIMARY KEY,
    name       VARCHAR,        -- its name in config.toml [[notify]]
    kind       VARCHAR,        -- jellyfin | emby | plex | kodi
    since      TIMESTAMPTZ
);

-- One row per attempt (MediaServer Notified / NotificationFailed).
CREATE TABLE IF NOT EXISTS notifications (
    position   BIGINT PRIMARY KEY,
    server_id  UUID,
    told_at    TIMESTAMPTZ,
    run_id     VARCHAR,
    ok         BOOLEAN,        -- the server said yes
    status     INTEGER,        -- its HTTP status (NULL: no answer)
    reason     VARCHAR,        -- why not (down, refused, timed out)
    updates    JSON,           -- [{folder, type}]: folders relative to the video root
    told       JSON            -- [{folder, type, path}]: the paths the server was sent
);

-- Every NFO videotheque wrote (Sidecar Written): the latest content hash per path.
CREATE TABLE IF NOT EXISTS nfo_sidecars (
    path          VARCHAR PRIMARY KEY,  -- relative to the video root
    file_id       VARCHAR,
    kind          VARCHAR,              -- movie | tvshow | episode
    content_hash  VARCHAR,
    written_at    TIMESTAMPTZ,
    run_id        VARCHAR
);
