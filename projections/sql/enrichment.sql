-- What `enrich` and `validate` recorded of each file: its match and the validation queue.
CREATE TABLE IF NOT EXISTS enrichment (
    file_id                  UUID PRIMARY KEY,
    match_status             VARCHAR,  -- enriched | pending | failed | validated | rejected
    provider                 VARCHAR,  -- tmdb | tvdb | nfo (NULL without a match)
    provider_id              VARCHAR,  -- "603"; an NFO's is qualified: "tmdb:603"
    canonical_title          VARCHAR,  -- the provider's title (in the configured language)
    canonical_original_title VARCHAR,
    canonical_year           INTEGER,
    score                    DOUBLE,
    how                      VARCHAR,  -- auto | candidate | id (how the match was made)
    rejected                 VARCHAR[],-- "tmdb:603" keys refused by a person
    last_error               VARCHAR,  -- the last EnrichmentFailed reason
    failures                 INTEGER,
    updated_at               TIMESTAMPTZ,
    run_id                   VARCHAR
);

-- The validation queue: files whose match is ambiguous or missing, with their candidates.
CREATE TABLE IF NOT EXISTS pending (
    file_id     UUID PRIMARY KEY,
    reason      VARCHAR,               -- ambiguous | no_match
    query       JSON,                  -- {title, year, kind, via, provider}
    candidates  JSON,                  -- [{provider, provider_id, title, original_title, year, score}]
    since       TIMESTAMPTZ,
    run_id      VARCHAR
);
