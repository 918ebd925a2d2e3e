"""``videotheque demo DIR``: the whole story, offline, ends with the reports it points to."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from videotheque.commands.cli.app import app


def test_demo_tells_the_whole_story(tmp_path: Path) -> None:
    # As a user runs it: the installed package alone (-I: no checkout on sys.path, so a
    # module or data file that the wheel would lack fails here too), from another folder.
    root = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-I", "-m", "videotheque", "demo", str(root)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "VIDEOTHEQUE_HOME"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    steps = [line.split(":")[0] for line in out.splitlines() if re.match(r"^\d\. ", line)]
    assert steps == [
        "1. import",
        "2. enrich from NFO sidecars",
        "3. organize",
        "4. the share is reorganised",
        "5. import again",
        "6. check",
        "7. repair-links --auto",
        "8. check again",
        "9. reports",
    ]
    assert "is not part of this version" not in out  # every step ran
    found = re.search(r"4\. .*, (\d+) links of video/ are broken", out)
    assert found is not None
    broken = int(found.group(1))
    assert broken > 0
    assert f"6. check: {broken} broken links" in out
    assert f"7. repair-links --auto: {broken} broken, {broken} repaired by identity" in out
    assert "8. check again: clean" in out

    html = root / "reports" / "audit.html"
    md = root / "reports" / "audit.md"
    assert f"Open the report: {html.as_uri()}" in out
    page = html.read_text(encoding="utf-8")
    text = md.read_text(encoding="utf-8")
    for section in ("Overview", "Activity", "Runs", "Imports and moves", "Enrichments",
                    "Validation queue", "Repairs, quarantines and undos",
                    "Latest integrity findings"):  # fmt: skip
        assert f"## {section}" in text
        assert f">{section}</h2>" in page
    assert f"LinkRepaired **{broken}**" in text
    assert "**clean**" in text  # the latest check
    assert "<svg" in page and "<script" not in page

    # The home the demo made is a normal library: its catalog follows the moved files.
    home = root / "home"
    catalog = CliRunner().invoke(app, ["catalog", "--json", "--home", str(home)])
    rows = json.loads(catalog.stdout)
    assert rows and not [r for r in rows if r["path"].startswith("Films/")]


def _demo(*args: bytes) -> subprocess.CompletedProcess[bytes]:
    # Bytes on the command line, as a shell passes a name that is not UTF-8.
    command = [os.fsencode(sys.executable), b"-I", b"-m", b"videotheque", b"demo", *args]
    return subprocess.run(command, capture_output=True, timeout=120, check=False)


def test_a_demo_dir_that_is_not_utf8_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    base = os.fsencode(tmp_path)
    new = base + b"/d\xffmo"
    result = _demo(new)
    assert result.returncode == 2, result.stderr
    assert b"not valid UTF-8" in result.stderr
    assert b"Traceback" not in result.stderr
    assert not os.path.lexists(new)  # not even storage/ of a half-made demo
    # An empty folder given by the user stays empty.
    os.mkdir(new)
    assert _demo(new).returncode == 2
    assert os.listdir(new) == []
    # A UTF-8 DIR with a --home that is not: DIR is not made either.
    result = _demo(base + b"/demo", b"--home", base + b"/h\xffme")
    assert result.returncode == 2, result.stderr
    assert b"not valid UTF-8" in result.stderr
    assert sorted(os.listdir(base)) == [b"d\xffmo"]
