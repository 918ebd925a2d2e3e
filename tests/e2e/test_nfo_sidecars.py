"""`organize --nfo`: NFO sidecars beside the links, read back by the project's own reader,
never replacing a file a person wrote or edited."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Lib
from videotheque.commands.adapters.providers.nfo import read_nfo
from videotheque.commands.usecases.nfo_writer import episode_nfo, movie_nfo, tvshow_nfo

HEAT_NFO = "Films/Heat (1995)/Heat (1995).nfo"
SHOW_NFO = "Series/Kaamelott/tvshow.nfo"
EPISODE_NFO = "Series/Kaamelott/Season 01/Kaamelott - S01E02.nfo"


def matched(lib: Lib) -> None:
    """Two files matched offline from sidecars in storage (what Kodi or tMM wrote there)."""
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    lib.write("Films/Heat.1995.mkv")
    lib.write("Films/Heat.1995.nfo", '<movie><title>Heat</title><year>1995</year>'
              '<uniqueid type="tmdb">949</uniqueid></movie>')  # fmt: skip
    lib.write("Series/Kaamelott/Livre 1/Kaamelott.S01E02.mkv")
    lib.write("Series/Kaamelott/tvshow.nfo", '<tvshow><title>Kaamelott</title>'
              '<uniqueid type="tvdb">79175</uniqueid></tvshow>')  # fmt: skip
    assert lib.cli("import").exit_code == 0
    assert lib.cli("enrich", "--provider", "nfo").exit_code == 0


def sidecar_rows(lib: Lib) -> dict[str, str]:
    with duckdb.connect(str(lib.home / "catalog.duckdb"), read_only=True) as con:
        return dict(con.execute("SELECT path, content_hash FROM nfo_sidecars").fetchall())


def test_nfo_files_are_written_and_read_back_exactly(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    matched(lib)
    result = lib.cli("organize", "--nfo", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert sorted(w["path"] for w in out["nfo"]["written"]) == sorted(
        [HEAT_NFO, SHOW_NFO, EPISODE_NFO]
    )
    heat = read_nfo(lib.video / HEAT_NFO)
    assert (heat.kind, heat.title, heat.year, heat.ids.tmdb) == ("movie", "Heat", 1995, "949")
    show = read_nfo(lib.video / SHOW_NFO)
    assert (show.kind, show.title, show.ids.tvdb) == ("series", "Kaamelott", "79175")
    episode = read_nfo(lib.video / EPISODE_NFO)
    assert episode.kind == "episode"
    assert "<season>1</season>" in (lib.video / EPISODE_NFO).read_text()
    assert "<episode>2</episode>" in (lib.video / EPISODE_NFO).read_text()
    # Every NFO written is an event with its content hash.
    rows = sidecar_rows(lib)
    assert set(rows) == {HEAT_NFO, SHOW_NFO, EPISODE_NFO}
    assert all(h.startswith("sha256:") for h in rows.values())
    report = lib.cli("report", "--format", "md").stdout
    assert "## NFO sidecars written" in report and HEAT_NFO in report
    # Again: nothing to do.
    again = json.loads(lib.cli("organize", "--nfo", "--json").stdout)["nfo"]
    assert again["written"] == [] and again["unchanged"] == 3 and again["run_id"] is None


def test_a_users_nfo_is_never_overwritten(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    matched(lib)
    assert lib.cli("organize").exit_code == 0
    mine = lib.video / HEAT_NFO
    mine.write_text("<movie><title>My own notes</title></movie>")
    out = json.loads(lib.cli("organize", "--nfo", "--json").stdout)["nfo"]
    assert [k["path"] for k in out["kept"]] == [HEAT_NFO]
    assert mine.read_text() == "<movie><title>My own notes</title></movie>"
    assert HEAT_NFO not in sidecar_rows(lib)


def test_an_nfo_edited_by_a_person_is_left_alone_and_a_deleted_one_comes_back(
    sqlite_lib: Lib,
) -> None:
    lib = sqlite_lib
    matched(lib)
    assert lib.cli("organize", "--nfo").exit_code == 0
    show = lib.video / SHOW_NFO
    edited = show.read_text().replace("Kaamelott</title>", "Kaamelott</title><plot>mine</plot>")
    show.write_text(edited)
    (lib.video / HEAT_NFO).unlink()
    out = json.loads(lib.cli("organize", "--nfo", "--json").stdout)["nfo"]
    assert [k["path"] for k in out["kept"]] == [SHOW_NFO]
    assert [w["path"] for w in out["written"]] == [HEAT_NFO]
    assert show.read_text() == edited
    assert read_nfo(lib.video / HEAT_NFO).ids.tmdb == "949"


def test_hostile_titles_are_escaped_and_read_back(tmp_path: Path) -> None:
    title = "Tom & Jerry <script>\"x\"</script> 'n' ]]>"
    path = tmp_path / "movie.nfo"
    path.write_bytes(movie_nfo(title, 1999, [("tmdb", "12"), ("imdb", "tt0133093")]))
    info = read_nfo(path)
    assert (info.title, info.year, info.ids.tmdb, info.ids.imdb) == (title, 1999, "12",
                                                                     "tt0133093")  # fmt: skip
    assert path.read_text().count('default="true"') == 1
    path.write_bytes(tvshow_nfo(title, None, [("tvdb", "81189")]))
    assert (read_nfo(path).kind, read_nfo(path).ids.tvdb) == ("series", "81189")
    path.write_bytes(episode_nfo(title, 3, 7, None))
    assert (read_nfo(path).kind, read_nfo(path).title) == ("episode", f"{title} S03E07")


def test_characters_xml_cannot_hold_never_break_the_file(tmp_path: Path) -> None:
    """A provider's title with a control character or a lone surrogate (JSON may carry
    both) still gives a well-formed NFO: those characters become U+FFFD, the rest stays."""
    import xml.etree.ElementTree as ET

    title = "Bad\x01Title\x0b \udce9t\ufffe & <b> \x85 \U0001f600"
    shown = "Bad\ufffdTitle\ufffd \ufffdt\ufffd & <b> \x85 \U0001f600"
    path = tmp_path / "movie.nfo"
    for data in (movie_nfo(title, 2001, [("tmdb", "12")]), tvshow_nfo(title, 2001,
                 [("tvdb", "81189")]), episode_nfo(title, 1, 2, None)):  # fmt: skip
        path.write_bytes(data)
        root = ET.fromstring(data)  # well-formed for any XML 1.0 parser
        assert root.findtext("title", "").startswith(shown)
        info = read_nfo(path)
        assert info.title is not None and info.title.startswith(" ".join(shown.split()))
    assert read_nfo(path).kind == "episode"


def test_a_users_movie_nfo_beside_the_link_is_not_shadowed(sqlite_lib: Lib) -> None:
    """Kodi and Jellyfin read <name>.nfo before movie.nfo: writing ours beside someone's
    movie.nfo would override theirs."""
    lib = sqlite_lib
    matched(lib)
    assert lib.cli("organize").exit_code == 0
    theirs = lib.video / "Films/Heat (1995)/movie.nfo"
    theirs.write_text("<movie><title>Heat, director's cut</title></movie>")
    out = json.loads(lib.cli("organize", "--nfo", "--json").stdout)["nfo"]
    assert HEAT_NFO in [k["path"] for k in out["kept"]]
    assert not (lib.video / HEAT_NFO).exists()
    assert theirs.read_text() == "<movie><title>Heat, director's cut</title></movie>"
    assert sorted(w["path"] for w in out["written"]) == sorted([SHOW_NFO, EPISODE_NFO])


def test_an_edit_made_while_the_run_writes_is_kept(tmp_path: Path) -> None:
    """Our own NFO is replaced only if it is still exactly ours at the moment of writing."""
    from videotheque.commands.usecases.nfo_writer import _put, content_hash

    path = tmp_path / "Heat (1995).nfo"
    ours = movie_nfo("Heat", 1995, [("tmdb", "949")])
    path.write_bytes(ours)
    path.write_text("<movie><title>edited a moment ago</title></movie>")  # a person, now
    with pytest.raises(OSError, match="left alone"):
        _put(str(path), movie_nfo("Heat", 1996, [("tmdb", "949")]), content_hash(ours), "r" * 8)
    assert path.read_text() == "<movie><title>edited a moment ago</title></movie>"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left
    path.write_bytes(ours)  # still ours: replaced
    _put(str(path), movie_nfo("Heat", 1996, [("tmdb", "949")]), content_hash(ours), "r" * 8)
    assert read_nfo(path).year == 1996
