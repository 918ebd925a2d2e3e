-- Views over the projection tables. `files` is the current catalog: the core columns,
-- joined with what other projections know of each file (enrichment, media facts).
CREATE OR REPLACE VIEW files AS
SELECT
    f.id, f.path, f.raw_path, f.size, f.mtime, f.fingerprint, f.algorithm, f.kind,
    f.title, f.year, f.season, f.episode, f.episodes, f.extra, f.parser, f.status,
    f.path_count, f.imported_at, f.updated_at, f.last_run_id
FROM catalog_files f;
