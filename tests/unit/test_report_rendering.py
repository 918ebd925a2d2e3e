"""Rendering pieces of the reports: escaping, the jinja2 Environment, chart geometry, and
the moments people type for time travel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from jinja2 import UndefinedError

from videotheque.commands.cli.moments import parse_moment
from videotheque.commands.errors import UsageError
from videotheque.reports.charts import events_chart, family_of, integrity_chart
from videotheque.reports.render import candidates_text, environment, md, render, title_of, visible

# -- escaping --------------------------------------------------------------------------------


def test_visible_shows_control_characters_as_symbols() -> None:
    assert visible("a\nb\tc\rd\x00e\x7f") == "a␊b␉c␍d␀e␡"
    assert visible(None) == ""
    assert visible("Amélie") == "Amélie"


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
        ("a | b", "a \\| b"),
        ("`code`", "\\`code\\`"),
        ("*bold* _it_ ~~x~~", "\\*bold\\* \\_it\\_ \\~\\~x\\~\\~"),
        ("[link](http://x)", "\\[link\\](http://x)"),
        ("&lt; stays text", "\\&lt; stays text"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines", "two␊lines"),
        ("# not a heading", "\\# not a heading"),
        ("Le Dîner de cons (1998)", "Le Dîner de cons (1998)"),
    ],
)
def test_md_escapes_what_markdown_would_interpret(name: str, escaped: str) -> None:
    assert md(name) == escaped


def test_md_cell_never_breaks_a_table_row() -> None:
    cell = md("a|b\n|c`d`")
    assert "\n" not in cell
    unescaped_pipes = [i for i, ch in enumerate(cell) if ch == "|" and cell[i - 1] != "\\"]
    assert unescaped_pipes == []


def test_environment_escapes_html_templates_only() -> None:
    env = environment()
    assert callable(env.autoescape)
    assert env.autoescape("audit.html.j2") is True
    assert env.autoescape("_macros.html.j2") is True
    assert env.autoescape("audit.md.j2") is False
    html = env.from_string("{{ x }}").render(x="<b>")  # strings default to escaped too
    assert html == "&lt;b&gt;"


def test_templates_refuse_undefined_values() -> None:
    with pytest.raises(UndefinedError):
        render({"meta": {}}, "md")
    with pytest.raises(ValueError, match="unknown report format"):
        render({}, "pdf")


def test_title_and_candidates_text() -> None:
    assert title_of({"title": "Heat", "year": 1995, "kind": "movie"}) == "Heat (1995)"
    assert (
        title_of({"title": "Dark", "kind": "episode", "season": 1, "episode": 2, "year": None})
        == "Dark S01E02"
    )
    assert title_of({"title": None}) == ""
    text = candidates_text(
        [
            {"provider": "tmdb", "provider_id": "841", "title": "Dune", "year": 1984, "score": 0.7},
            {"provider": "tmdb", "provider_id": "438631", "title": "Dune", "year": 2021,
             "score": 0.91},
            {"provider": "nfo", "provider_id": "tmdb:693134", "title": "Dune: Part Two",
             "original_title": None, "year": None, "score": 0.1},
        ]
    )  # fmt: skip
    assert text == (
        "1. Dune (2021) tmdb:438631 0.91; 2. Dune (1984) tmdb:841 0.70; "
        "3. Dune: Part Two nfo:tmdb:693134 0.10"
    )


# -- charts ----------------------------------------------------------------------------------


def test_events_chart_empty() -> None:
    chart = events_chart([])
    assert chart.empty and chart.rows == [] and chart.table == []


def test_events_chart_one_row_per_family_each_on_its_own_scale() -> None:
    per_day = [
        ("2024-03-01", "Imported", 10_000),
        ("2024-03-01", "Analyzed", 10_000),
        ("2024-03-03", "Moved", 2),
        ("2024-03-03", "LinkRepaired", 3),
        ("2024-03-04", "LinkQuarantined", 1),
        ("2024-03-04", "Weird", 5),
    ]
    chart = events_chart(per_day)
    names = [r.name for r in chart.rows]
    assert names == ["Imported", "Moved", "Links", "Analyzed, verified", "Other"]
    links = chart.rows[2]
    assert links.total == 4 and links.peak == 3
    heights = sorted(b.h for b in links.bars)
    # The peak bar of each row has the full row height, whatever the other rows hold.
    assert heights[-1] == max(b.h for b in chart.rows[0].bars)
    assert heights[0] == pytest.approx(heights[-1] / 3, rel=0.01)
    # Days run continuously from the first to the last, gaps included.
    assert chart.first == "2024-03-01" and chart.last == "2024-03-04"
    assert [c["bucket"] for c in chart.table] == ["2024-03-01", "2024-03-03", "2024-03-04"]
    assert chart.table[1]["Links"] == 3 and chart.table[2]["Other"] == 5
    assert chart.ticks[0].label == "2024-03-01" and chart.ticks[-1].label == "2024-03-04"
    # Bars stay inside the drawing, left of the peak labels.
    assert all(b.x > 0 and b.x + b.w <= chart.width - 50 for r in chart.rows for b in r.bars)
    assert "Imported 10,000" in chart.rows[0].bars[0].title


def test_events_chart_buckets_long_periods_by_week_then_month() -> None:
    start = date(2023, 1, 2)
    days = [((start + timedelta(days=i)).isoformat(), "Imported", 1) for i in range(0, 400, 3)]
    weekly = events_chart(days)
    assert weekly.bucket == "week"
    assert sum(r.total for r in weekly.rows) == len(days)
    assert len(weekly.ticks) <= 7
    years = [((start + timedelta(days=i)).isoformat(), "Moved", 2) for i in range(0, 3000, 10)]
    monthly = events_chart(years)
    assert monthly.bucket == "month" and monthly.first == "2023-01"
    assert sum(r.total for r in monthly.rows) == 2 * len(years)


def test_family_of() -> None:
    assert family_of("Enriched") == "Enriched"
    assert family_of("NoMatch") == "Queued or failed"
    assert family_of("LinkRestored") == "Links"
    assert family_of("SomethingNew") == "Other"


def test_integrity_chart_stacks_findings_per_check() -> None:
    checks = [
        {"counts": {"broken_links": 20, "ghosts": 0}, "total": 20},
        {"counts": {"broken_links": 5, "orphans": 5}, "total": 10},
        {"counts": {}, "total": 0},
    ]
    chart = integrity_chart(checks, ["a", "b", "c"])
    assert chart.peak == 20 and [t.label for t in chart.ticks] == ["a", "b", "c"]
    by_run: dict[str, float] = {}
    for bar in chart.bars:
        run = bar.title.split(":")[0]
        by_run[run] = by_run.get(run, 0.0) + bar.h
    full = chart.axis_y - chart.top_y
    assert by_run["a"] == pytest.approx(full)
    assert by_run["b"] == pytest.approx(full / 2)
    assert [b.css for b in chart.bars if b.title.startswith("c")] == ["clean"]
    assert [label for label, _ in chart.legend] == ["Orphans", "Broken links"]
    assert integrity_chart([], []).empty


# -- moments ---------------------------------------------------------------------------------

NOW = datetime(2024, 5, 15, 14, 30, tzinfo=UTC)
CET = timezone(timedelta(hours=2))


def test_a_bare_date_is_the_start_or_the_end_of_that_day() -> None:
    start = parse_moment("2024-05-01", end_of_day=False, now=NOW, tz=UTC)
    end = parse_moment("2024-05-01", end_of_day=True, now=NOW, tz=UTC)
    assert start == datetime(2024, 5, 1, tzinfo=UTC)
    assert end == datetime(2024, 5, 1, 23, 59, 59, 999999, tzinfo=UTC)


def test_moments_in_a_zone_and_relative_ones() -> None:
    assert parse_moment("2024-05-01T18:30", end_of_day=True, tz=CET) == datetime(
        2024, 5, 1, 18, 30, tzinfo=CET
    )
    assert parse_moment("2024-05-01 18:30:00+00:00", end_of_day=False, tz=CET) == datetime(
        2024, 5, 1, 18, 30, tzinfo=UTC
    )
    assert parse_moment("now", end_of_day=True, now=NOW, tz=UTC) == NOW
    assert parse_moment("7d", end_of_day=True, now=NOW, tz=UTC) == NOW - timedelta(days=7)
    assert parse_moment("12h", end_of_day=True, now=NOW, tz=UTC) == NOW - timedelta(hours=12)
    assert parse_moment("2w", end_of_day=True, now=NOW, tz=UTC) == NOW - timedelta(weeks=2)
    assert parse_moment("yesterday", end_of_day=False, now=NOW, tz=UTC) == datetime(
        2024, 5, 14, tzinfo=UTC
    )
    assert parse_moment("TODAY", end_of_day=False, now=NOW, tz=UTC) == datetime(
        2024, 5, 15, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["last tuesday", "2024-13-01", "2024-02-30", "", "7 years"])
def test_bad_moments_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_moment(text, end_of_day=True, now=NOW, tz=UTC, option="--as-of")
    assert "--as-of" in str(err.value)
    assert err.value.exit_code == 2
