"""Adapters for metadata providers: TMDB, TVDB (HTTP) and NFO sidecars (files)."""
