"""The outside world: file system, fingerprints, MediaInfo, names, providers, links, store locks."""
