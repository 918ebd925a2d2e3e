"""The Markdown audit report against golden files, on a library with a known history.

The story (tests/report_story.py) is recorded under freezegun; run ids (random), the
temporary folder and the version are replaced by stable stand-ins before comparing.
To accept a deliberate change: ``VIDEOTHEQUE_UPDATE_GOLDEN=1 pytest tests/integration/
test_report_golden.py`` and review the diff of tests/fixtures/golden/.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.report_story import (
    DAY2,
    DAY3_REPAIR,
    DUNE,
    NEWLINE,
    PIPE,
    SCRIPT,
    Story,
    all_run_ids,
    story,  # noqa: F401  (fixture)
)
from videotheque.commands.bootstrap import app_version, open_session
from videotheque.commands.usecases.reporter import build_report

GOLDEN = Path(__file__).parent.parent / "fixtures" / "golden"
GENERATED = datetime(2024, 3, 7, 12, 0, tzinfo=UTC)


def normalise(text: str, s: Story) -> str:
    """Stable stand-ins for what changes from one run of the test to the next."""
    for n, run_id in enumerate(all_run_ids(s.lib), 1):
        fake = f"{n:08d}-0000-4000-8000-000000000000"
        text = text.replace(run_id, fake).replace(run_id[:8], fake[:8])
    text = text.replace(str(s.lib.root), "<tmp>/lib")
    return text.replace(f"videotheque {app_version()}", "videotheque VERSION")


def render(s: Story, **window: object) -> str:
    with open_session(s.lib.home, s.lib.store) as session:
        result = build_report(session, "md", tz=UTC, generated_at=GENERATED, **window)  # type: ignore[arg-type]
    return normalise(result.text, s)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("VIDEOTHEQUE_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with VIDEOTHEQUE_UPDATE_GOLDEN=1 once"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from the golden file (see module docstring)"


def test_full_report_matches_golden(story: Story) -> None:  # noqa: F811
    check_golden("audit.md", render(story))


def test_until_report_shows_the_library_as_it_was(story: Story) -> None:  # noqa: F811
    until = datetime.fromisoformat(DAY2).replace(tzinfo=UTC) - timedelta(seconds=1)
    text = render(story, until=until)
    check_golden("audit-until-before-move.md", text)
    # Before the reorganisation: Matrix at its old path, the episode still there, no repair.
    assert "The library as it was on **2024-03-04 19:59**" in text
    assert "Cinema/The Matrix" not in text
    assert "9 files present" in text
    assert "LinkRepaired" not in text


def test_run_report_shows_one_run(story: Story) -> None:  # noqa: F811
    repair = story.run_ids[2]
    text = render(story, run_id=repair[:8])
    check_golden("audit-run-repair.md", text)
    assert "LinkRepaired **1** · LinkQuarantined **1**" in text
    assert "No file imported in this period" in text
    assert DAY3_REPAIR[:16] in text


def test_hostile_names_are_text_in_markdown(story: Story) -> None:  # noqa: F811
    text = render(story)
    # No raw HTML from a file name reaches the Markdown, and no name breaks a table row.
    assert not re.search(r"(?<!\\)<(script|img|b)\b", text)
    assert "\\<script\\>alert(1)\\</script\\>" in text
    assert "Pipe \\| and \\`backtick\\`" in text
    assert "New␊line (2010).mkv" in text
    for line in text.splitlines():
        if line.startswith("|"):
            # every row of a table has as many unescaped separators as its header
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) >= 3, line
    assert SCRIPT and PIPE and NEWLINE  # the names the story planted


def test_tables_have_consistent_columns(story: Story) -> None:  # noqa: F811
    text = render(story)
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            widths = {len(re.split(r"(?<!\\)\|", row)) for row in block}
            assert len(widths) == 1, "\n".join(block)
            block = []


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_report_cli_writes_the_file(story: Story, fmt: str, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / f"audit.{fmt}"
    result = story.lib.cli("report", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"{fmt} report written to {out}" in result.stdout
    text = out.read_text(encoding="utf-8")
    assert ("<!DOCTYPE html>" in text) == (fmt == "html")
    assert "Repairs, quarantines and undos" in text


def test_report_cli_errors(story: Story, tmp_path: Path) -> None:  # noqa: F811
    lib = story.lib
    bad = lib.cli("report", "--format", "pdf")
    assert bad.exit_code == 2 and "--format must be html or md" in bad.stderr
    bad = lib.cli("report", "--run", "ffffffff")
    assert bad.exit_code == 2 and "no run 'ffffffff'" in bad.stderr
    bad = lib.cli("report", "--since", "2024-03-05", "--until", "2024-03-02")
    assert bad.exit_code == 2 and "--since is after --until" in bad.stderr
    bad = lib.cli("report", "--since", "last tuesday")
    assert bad.exit_code == 2 and "is not a moment" in bad.stderr
    bad = lib.cli("report", "-o", str(tmp_path / "missing" / "a.html"))
    assert bad.exit_code == 2 and "does not exist" in bad.stderr
    assert not list(lib.home.glob(".as-of-*")), "time travel left a temporary folder"


def test_history_shows_candidates_and_scores(
    story: Story,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one table row per line
    result = story.lib.cli("history", DUNE)
    assert result.exit_code == 0, result.output
    queued = next(line for line in result.stdout.splitlines() if "MatchAmbiguous" in line)
    assert (
        "candidates: 1. Dune (2021) tmdb:438631 0.82; 2. Dune (1984) tmdb:841 0.78; "
        "3. Dune: Part Two (2024) tmdb:693134 0.55"
    ) in queued
    assert "MatchValidated" in result.stdout
    events = story.lib.json("history", DUNE)
    data = next(e["data"] for e in events if e["type"] == "MatchAmbiguous")
    assert [c["score"] for c in data["candidates"]] == [0.82, 0.78, 0.55]
