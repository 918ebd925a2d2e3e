-- What MediaInfo read in each file's content (the latest `Analyzed` event of each file).
CREATE TABLE IF NOT EXISTS media_facts (
    file_id            UUID PRIMARY KEY,
    status             VARCHAR,      -- ok | unknown (sparse, zero-filled) | unreadable
    reason             VARCHAR,      -- why unknown or unreadable
    problem            VARCHAR,      -- why `check` lists it as unreadable media (NULL: fine)
    container          VARCHAR,      -- MediaInfo's format name: Matroska, MPEG-4, AVI, ...
    duration_s         DOUBLE,
    overall_bitrate    BIGINT,
    embedded_title     VARCHAR,
    truncated          BOOLEAN,
    video_codec        VARCHAR,      -- AVC, HEVC, AV1, MPEG-4 Visual, ...
    width              INTEGER,
    height             INTEGER,
    frame_rate         DOUBLE,
    hdr                VARCHAR,      -- Dolby Vision | HDR10+ | HDR10 | HLG | PQ | NULL
    resolution         VARCHAR,      -- 2160p | 1080p | 720p | SD
    audio              JSON,         -- [{codec, channels, language, default, forced}]
    subtitles          JSON,         -- [{format, language, forced}]
    audio_languages    VARCHAR[],    -- primary subtags: fr, en, ...
    subtitle_languages VARCHAR[],
    mediainfo_version  VARCHAR,
    analyzed_path      VARCHAR,      -- the path that was read (display form)
    analyzed_at        TIMESTAMPTZ,
    run_id             VARCHAR
);
