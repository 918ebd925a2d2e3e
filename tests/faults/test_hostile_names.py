"""Hostile file names and links: every command survives them, the catalog keeps each name
byte for byte, nothing is written outside the video and trash roots, and reports escape.

Names: non-UTF-8 bytes, a newline, ``<script>``, a 250-byte name, names made only of dots
or spaces, a right-to-left override, quotes and backslashes. Links: ``..`` tricks that
climb out of storage, absolute targets outside the roots, a folder of the video tree that
is a symlink to somewhere else, symlinks in storage that point out of it.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from tests.conftest import Lib
from videotheque.domain.paths import display

# Relative to storage, as bytes: every one is a video file the import must catalog.
NAMES: list[bytes] = [
    b"Films/caf\xe9 cr\xe8me (1999)/caf\xe9.1999.mkv",  # Latin-1, not UTF-8
    b"Films/\xff\xfe\x80 (2000).mkv",  # bytes that are no encoding at all
    b"Films/Two\nLines (2001)/Two\nLines.2001.mkv",
    b"Films/<script>alert(1)<\\script> (2002).mkv",
    b"Films/<img src=x onerror=alert(2)> (2003)/film.mkv",
    b"Films/" + b"A" * 246 + b".mkv",  # a 250-byte name
    b"Films/.../film in dots.mkv",
    b"Films/   /film in spaces.mkv",
    b"Films/....mkv",  # no extension, as os.path.splitext says: not a video (SKIPPED)
    b"Films/   .mkv",
    b"Films/ leading and trailing .mkv",
    b"Films/\xe2\x80\xaeevil\xe2\x80\xac (2004).mkv",  # right-to-left override
    b"Films/He said \"hi\" \\ 'back' (2005).mkv",
    b"Films/%2e%2e%2f (2006).mkv",
    b"Films/$(touch pwned) `id` (2007).mkv",
    b"Series/-rf --help/Season 01/Show.S01E01.mkv",
]


SKIPPED = {b"Films/....mkv"}
VIDEOS = [n for n in NAMES if n not in SKIPPED]


def _bytes_path(lib: Lib, rel: bytes) -> bytes:
    return os.fsencode(lib.storage) + b"/" + rel


def _write(lib: Lib, rel: bytes) -> None:
    path = _bytes_path(lib, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"content of " + rel)


def _snapshot(root: Path) -> dict[bytes, Any]:
    out: dict[bytes, Any] = {}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(root)):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            out[p] = os.readlink(p) if os.path.islink(p) else os.path.getsize(p)
    return out


@pytest.fixture
def hostile(sqlite_lib: Lib, tmp_path: Path) -> Lib:
    lib = sqlite_lib
    for rel in NAMES:
        _write(lib, rel)
    # Symlinks in storage that lead out of it: never followed, never catalogued.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.mkv").write_bytes(b"not part of the library")
    (lib.storage / "escape").symlink_to(outside, target_is_directory=True)
    (lib.storage / "Films" / "escape.mkv").symlink_to(outside / "secret.mkv")
    (lib.storage / "Films" / "loop").symlink_to(lib.storage, target_is_directory=True)
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    return lib


def _exact_paths(lib: Lib) -> list[bytes]:
    """Every current path of the catalog, exact bytes (``file_paths.raw_path``)."""
    result = lib.cli("sql", "SELECT to_base64(raw_path) AS p FROM file_paths", "--format", "json")
    assert result.exit_code == 0, result.output
    return sorted(base64.b64decode(r["p"]) for r in json.loads(result.stdout))


def _catalog(lib: Lib) -> list[dict[str, Any]]:
    result = lib.cli("catalog", "--json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def test_hostile_names_are_catalogued_byte_for_byte(hostile: Lib) -> None:
    lib = hostile
    result = lib.cli("import", "--json")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    assert report["new"] == len(VIDEOS), report
    assert _exact_paths(lib) == sorted(VIDEOS)  # exact bytes, nothing from outside storage
    shown = sorted(p for r in _catalog(lib) for p in r["paths"])
    assert shown == sorted(display(os.fsdecode(n)) for n in VIDEOS)  # readable forms
    for rel in VIDEOS:
        history = lib.cli("history", os.fsdecode(rel), "--json")
        assert history.exit_code == 0, (rel, history.output)
        assert [e["type"] for e in json.loads(history.stdout)][:1] == ["Imported"]

    # Moving every file keeps every identity, whatever its name.
    before = {r["file_id"] for r in _catalog(lib)}
    os.rename(lib.storage / "Films", lib.storage / "Films (moved)")
    again = json.loads(lib.cli("import", "--json").stdout)
    assert again["moved"] == sum(1 for n in VIDEOS if n.startswith(b"Films/"))
    assert {r["file_id"] for r in _catalog(lib)} == before
    assert _exact_paths(lib) == sorted(b"Films (moved)/" + n[6:] if n.startswith(b"Films/") else n
                                       for n in VIDEOS)  # fmt: skip

    # The table, CSV and SQL outputs print them without breaking (one line per row).
    table = lib.cli("catalog")
    assert table.exit_code == 0 and "Traceback" not in table.output
    csv_out = lib.cli("sql", "SELECT path FROM files ORDER BY path", "--format", "csv")
    assert csv_out.exit_code == 0, csv_out.output
    assert "\udcff" not in csv_out.stdout
    assert lib.cli("status").exit_code == 0
    assert lib.cli("check").exit_code in (0, 1)
    incremental = _exact_paths(lib)
    rebuilt = lib.cli("rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert _exact_paths(lib) == incremental


def test_reports_escape_hostile_names(hostile: Lib, tmp_path: Path) -> None:
    lib = hostile
    assert lib.cli("import").exit_code in (0, 1)
    html = tmp_path / "report.html"
    result = lib.cli("report", "--format", "html", "-o", str(html))
    assert result.exit_code == 0, result.output
    text = html.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text
    assert "<img src=x" not in text
    assert "&lt;script&gt;alert(1)" in text or "&lt;script&gt;" in text
    md = lib.cli("report", "--format", "md")
    assert md.exit_code == 0, md.output
    for line in md.stdout.splitlines():
        if line.startswith("|") and "Two" in line:
            assert line.rstrip().endswith("|")  # a newline in a name never breaks a row


HOSTILE_TITLES = {
    "Films/caf\udce9 cr\udce8me (1999)/caf\udce9.1999.nfo": "../../../../../tmp/pwned",
    "Films/Two\nLines (2001)/Two\nLines.2001.nfo": "/etc/cron.d/evil",
    "Films/<img src=x onerror=alert(2)> (2003)/film.nfo": "..",
    "Films/.../film in dots.nfo": "...",
    "Films/   /film in spaces.nfo": "con\x00trol\x1b[31m chars",
}


def _organize(lib: Lib) -> dict[str, Any]:
    for i, (rel, title) in enumerate(HOSTILE_TITLES.items()):
        (lib.storage / rel).write_text(
            f"<movie><title>{escape(title)}</title><year>1999</year>"
            f'<uniqueid type="tmdb">{900 + i}</uniqueid></movie>',
            encoding="utf-8",
        )
    assert lib.cli("import").exit_code in (0, 1)
    enriched = lib.cli("enrich", "--provider", "nfo", "--json")
    assert enriched.exit_code in (0, 1), enriched.output
    result = lib.cli("organize", "--json")
    assert result.exit_code in (0, 1), result.output
    return dict(json.loads(result.stdout))


def _links_stay_inside(lib: Lib) -> int:
    real_video = os.path.realpath(lib.video) + "/"
    real_storage = os.path.realpath(lib.storage) + "/"
    count = 0
    for dirpath, _dirs, names in os.walk(lib.video):
        for name in names:
            link = os.path.join(dirpath, name)
            assert os.path.realpath(os.path.dirname(link)).startswith(real_video[:-1]), link
            assert os.path.islink(link), link
            assert os.path.realpath(link).startswith(real_storage), link
            count += 1
    return count


def test_organize_keeps_hostile_titles_inside_the_video_root(hostile: Lib) -> None:
    """Titles come from NFO sidecars a stranger may have written: ``../``, absolute
    paths and control characters in them never take a link out of the video tree, nor
    its target out of storage."""
    lib = hostile
    before_tmp = set(os.listdir("/tmp"))
    report = _organize(lib)
    made = _links_stay_inside(lib)
    assert made == len(report["created"]) >= len(HOSTILE_TITLES), report
    names = [e["link"] for e in report["created"]]
    assert not any("\x00" in n or "\x1b" in n or "\n" in n for n in names), names
    assert all(".." not in n.split("/") for n in names)
    assert "pwned" not in set(os.listdir("/tmp")) - before_tmp


def test_organize_never_writes_through_a_link_out_of_the_video_root(
    hostile: Lib, tmp_path: Path
) -> None:
    lib = hostile
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    lib.video.mkdir(exist_ok=True)
    (lib.video / "Films").symlink_to(elsewhere, target_is_directory=True)
    report = _organize(lib)
    assert _snapshot(elsewhere) == {}  # nothing written through video/Films
    assert _snapshot(tmp_path / "outside") == {
        os.fsencode(tmp_path / "outside" / "secret.mkv"): len(b"not part of the library")
    }
    refused = [c for c in report["conflicts"] if c["link"].startswith("Films/")]
    assert len(refused) + len(report["unplaced"]) == len(VIDEOS) - 1, report  # every film
    assert all("outside the video and trash roots" in c["reason"] for c in refused), refused
    assert [e["link"] for e in report["created"]] == [  # the episode's link is made
        "Series/rf --help/Season 01/rf --help - S01E01.mkv"  # the name's case, as parsed
    ]


def test_repair_links_treats_escaping_targets_as_findings(hostile: Lib, tmp_path: Path) -> None:
    lib = hostile
    assert lib.cli("import").exit_code in (0, 1)
    outside = tmp_path / "outside"
    tricks = {
        "Films/dotdot.mkv": "../../storage/../../outside/secret.mkv",  # exists, outside
        "Films/deep.mkv": "../../storage/Films/../../../../../../../etc/hostname",
        "Films/absolute.mkv": str(outside / "secret.mkv"),
        "Films/through-escape.mkv": "../../storage/escape/secret.mkv",  # via a storage symlink
        "Films/gone.mkv": "../../storage/Films/../Gone/gone.mkv",
        "Films/self.mkv": "self.mkv",  # a loop
    }
    for rel, text in tricks.items():
        path = lib.video / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(text, path)
    before_outside = _snapshot(outside)
    dry = lib.cli("repair-links", "--dry-run", "--json")
    assert dry.exit_code == 1, dry.output
    found = json.loads(dry.stdout)
    # Every one is broken or leads out of storage: five by their text, through-escape.mkv
    # where it really lands (its text stays in storage and works, through a folder of
    # storage that is a symlink to elsewhere), as `check` judges it (stray).
    assert found["broken"] == len(tricks), found
    strays = json.loads(lib.cli("check", "--json").stdout)["stray_links"]
    assert {s["link"]: s["reason"] for s in strays}["Films/through-escape.mkv"] == (
        "outside storage"
    )
    result = lib.cli("repair-links", "--auto", "--quarantine-orphans", "--json")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    for r in report["repaired"]:  # whatever was repaired now points into storage
        target = os.path.realpath(lib.video / r["link"])
        assert target.startswith(os.path.realpath(lib.storage) + "/"), r
    for q in report["quarantined"]:  # a quarantined link is moved as it was
        assert os.readlink(lib.trash / q["trash_path"]) == tricks[q["link"]]
    assert _snapshot(outside) == before_outside
    for rel, text in tricks.items():  # each is repaired, quarantined or left as it was
        path = lib.video / rel
        if os.path.lexists(path) and os.readlink(path) != text:
            assert os.path.realpath(path).startswith(os.path.realpath(lib.storage) + "/")
