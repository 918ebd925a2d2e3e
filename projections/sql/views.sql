-- Views over the projection tables. `files` is the current catalog: the core columns,
-- joined with what other projections know of each file (enrichment, media facts).
CREATE OR REPLACE VIEW files AS
SELECT
    f.id, f.path, f.raw_path, f.size, f.mtime, f.fingerprint, f.algorithm, f.kind,
    f.title, f.year, f.season, f.episode, f.episodes, f.extra, f.parser, f.status,
    f.path_count, f.imported_at, f.updated_at, f.last_run_id,
    -- media facts (NULL until analysed; see projections/sql/media.sql)
    m.duration_s, m.container, m.video_codec, m.width, m.height, m.hdr,
    from_json(m.audio, '[{"codec":"VARCHAR","channels":"INTEGER","language":"VARCHAR"}]')
        AS audio,
    from_json(m.subtitles, '[{"language":"VARCHAR","forced":"BOOLEAN"}]') AS subtitles,
    -- enrichment (NULL until `enrich`; see projections/sql/enrichment.sql)
    e.provider, e.provider_id, e.canonical_title, e.canonical_year,
    CASE WHEN e.match_status = 'rejected' THEN NULL ELSE e.match_status END AS match_status
FROM catalog_files f
LEFT JOIN media_facts m ON m.file_id = f.id
LEFT JOIN enrichment e ON e.file_id = f.id;
