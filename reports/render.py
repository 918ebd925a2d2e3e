"""Rendering: one jinja2 Environment, its filters, and the two report formats.

Autoescaping is on for ``*.html.j2`` (named explicitly: ``select_autoescape()``'s defaults
do not match the ``.j2`` suffix), off for ``*.md.j2``, where every value that comes from
the library goes through the ``md`` filter instead. ``StrictUndefined`` turns a typo in a
template into an error rather than an empty cell. File names are hostile input: control
characters (a newline in a name) are shown as their Unicode control pictures in both
formats, so a name always stays on its line and reads as what it is (``visible``, the one
function the CLI's tables and messages use too).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from videotheque.domain.paths import visible

FORMATS = {"html": "audit.html.j2", "md": "audit.md.j2"}

# Characters that mean something to Markdown (CommonMark/GFM) in running text or a table
# cell; all are ASCII punctuation, which CommonMark lets a backslash escape.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#!])")


def md(value: Any) -> str:
    """Escape a value for a Markdown table cell or list item: it renders as plain text."""
    text = visible(value)
    return _MD_SPECIAL.sub(r"\\\1", text)


def num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def size(value: Any) -> str:
    """Bytes in the largest unit that keeps the number readable (binary units)."""
    if value is None:
        return ""
    n = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PiB"  # pragma: no cover


def score(value: Any) -> str:
    return "" if value is None else f"{float(value):.2f}"


def short(value: Any, n: int = 8) -> str:
    return "" if value is None else str(value)[:n]


def duration(seconds: Any) -> str:
    if seconds is None:
        return ""
    s = float(seconds)
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 120:
        return f"{s:.1f} s"
    return f"{s / 60:.0f} min"


@pass_context
def when(ctx: Context, value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware datetime shown in the report's time zone."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    tz: tzinfo = ctx.get("tz") or UTC
    return str(value.astimezone(tz).strftime(fmt))


def title_of(row: dict[str, Any]) -> str:
    """``Title (Year)`` or ``Show S01E02`` from a row with title/year/season/episode."""
    title = row.get("title")
    if not title:
        return ""
    text = str(title)
    if row.get("kind") == "episode" and row.get("season") is not None:
        text += f" S{int(row['season']):02d}"
        if row.get("episode") is not None:
            text += f"E{int(row['episode']):02d}"
    elif row.get("year"):
        text += f" ({row['year']})"
    return text


def candidate(c: dict[str, Any]) -> str:
    """One candidate as text: ``The Matrix (1999) tmdb:603``."""
    text = str(c.get("title") or "?")
    if c.get("year"):
        text += f" ({c['year']})"
    ident = ":".join(str(x) for x in (c.get("provider"), c.get("provider_id")) if x)
    return f"{text} {ident}".strip()


def candidates_text(raw: list[Any]) -> str:
    """Candidates of a match on one line, best first: ``1. The Matrix (1999) tmdb:603
    0.98; 2. ...`` (for ``history``; the candidates as an enrichment event stores them)."""
    ranked = sorted(
        (c for c in raw if isinstance(c, dict)),
        key=lambda c: -(float(c["score"]) if c.get("score") is not None else -1.0),
    )
    return "; ".join(
        f"{i}. {visible(candidate(c))}"
        + (f" {score(c['score'])}" if c.get("score") is not None else "")
        for i, c in enumerate(ranked, 1)
    )


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader(__package__, "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html.j2", "html", "svg.j2"),
            disabled_extensions=("md.j2", "md"),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        visible=visible,
        md=md,
        num=num,
        size=size,
        score=score,
        short=short,
        duration=duration,
        when=when,
        title_of=title_of,
        candidate=candidate,
    )
    return env


def render(report: dict[str, Any], fmt: str, tz: tzinfo | None = None) -> str:
    """The report in ``html`` or ``md``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}: use html or md")
    template = environment().get_template(FORMATS[fmt])
    return template.render(report=report, tz=tz or UTC)
