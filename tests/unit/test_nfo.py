"""NFO sidecars (Kodi, Jellyfin, tinyMediaManager) read safely with defusedxml."""

from __future__ import annotations

from pathlib import Path

import pytest

from videotheque.commands.adapters.providers.base import MOVIE, SERIES
from videotheque.commands.adapters.providers.nfo import NfoError, read_nfo, sidecars
from videotheque.domain.titles import ExternalIds

KODI_MOVIE = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<movie>
    <title>Matrix</title>
    <originaltitle>The Matrix</originaltitle>
    <year>1999</year>
    <runtime>136</runtime>
    <uniqueid type="imdb">tt0133093</uniqueid>
    <uniqueid type="tmdb" default="true">603</uniqueid>
    <actor><name>Keanu Reeves</name></actor>
</movie>
"""
TMM_SHOW = """<?xml version="1.0" encoding="UTF-8"?>
<tvshow>
  <title>Breaking Bad</title>
  <premiered>2008-01-20</premiered>
  <tvdbid>81189</tvdbid>
  <id>81189</id>
  <imdbid>tt0903747</imdbid>
</tvshow>
"""
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<movie><title>&lol3;</title></movie>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE movie [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<movie><title>&xxe;</title></movie>
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_kodi_movie_nfo(tmp_path: Path) -> None:
    info = read_nfo(write(tmp_path / "movie.nfo", KODI_MOVIE))
    assert (info.kind, info.title, info.original_title, info.year) == (
        MOVIE, "Matrix", "The Matrix", 1999,
    )  # fmt: skip
    assert info.ids == ExternalIds(tmdb="603", imdb="tt0133093")
    candidate = info.candidate(MOVIE)
    assert candidate is not None
    assert (candidate.provider, candidate.provider_id) == ("nfo", "tmdb:603")
    assert candidate.runtime == 136  # minutes: the file's duration is weighed against it


def test_tinymediamanager_tvshow_nfo(tmp_path: Path) -> None:
    info = read_nfo(write(tmp_path / "tvshow.nfo", TMM_SHOW))
    assert info.kind == SERIES and info.year == 2008
    assert info.ids == ExternalIds(tvdb="81189", imdb="tt0903747")
    candidate = info.candidate(SERIES)
    assert candidate is not None and candidate.provider_id == "tvdb:81189"
    assert candidate.runtime is None  # no <runtime>: no evidence


def test_url_only_nfo(tmp_path: Path) -> None:
    info = read_nfo(
        write(tmp_path / "film.nfo", "https://www.themoviedb.org/movie/603-the-matrix\n")
    )
    assert info.ids.tmdb == "603" and info.kind == MOVIE and info.title is None
    assert info.candidate(MOVIE) is None  # an id without a title is not an offline answer


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NfoError, match="entities"):
        read_nfo(write(tmp_path / "movie.nfo", BILLION_LAUGHS))


def test_external_entities_are_refused(tmp_path: Path) -> None:
    with pytest.raises(NfoError, match="refused"):
        read_nfo(write(tmp_path / "movie.nfo", EXTERNAL))


def test_huge_files_are_refused_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path / "movie.nfo", "<movie><title>" + "x" * 5000 + "</title></movie>")
    with pytest.raises(NfoError, match="over the 1000-byte limit"):
        read_nfo(path, max_bytes=1000)


def test_broken_xml_and_garbage(tmp_path: Path) -> None:
    with pytest.raises(NfoError, match="not well-formed"):
        read_nfo(write(tmp_path / "a.nfo", "<movie><title>Matrix</movie>"))
    with pytest.raises(NfoError, match="neither XML nor a provider URL"):
        read_nfo(write(tmp_path / "b.nfo", "Release info: 1080p x264, ripped by someone"))


def test_sidecars_are_found_beside_films_and_above_episodes(tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    film = write(storage / "Films" / "Matrix (1999)" / "Matrix.mkv", "")
    own = write(film.with_suffix(".nfo"), KODI_MOVIE)
    folder = write(film.parent / "movie.nfo", KODI_MOVIE)
    assert sidecars(storage, "Films/Matrix (1999)/Matrix.mkv", MOVIE) == [own, folder]
    write(storage / "Series" / "Breaking Bad" / "Season 1" / "e01.mkv", "")
    show = write(storage / "Series" / "Breaking Bad" / "tvshow.nfo", TMM_SHOW)
    assert sidecars(storage, "Series/Breaking Bad/Season 1/e01.mkv", SERIES) == [show]
    assert sidecars(storage, "Films/Other.mkv", MOVIE) == []
