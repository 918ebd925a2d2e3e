"""Chart geometry for the HTML report, computed here and drawn as inline SVG by templates.

Two charts, no JavaScript:

- events per day, as small multiples: one row of bars per family of event types, each row
  on its own scale (its peak is labelled), so a first import of 10,000 files does not flatten
  the ten repairs of the next week into nothing;
- integrity findings over time: one stacked bar per check run, by kind of finding.

Days with no event are drawn as gaps; long periods are bucketed by week, then by month.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

# Families of event types, in drawing order, with the CSS class that colours them.
FAMILIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Imported", "c1", ("Imported", "Copied", "Reappeared")),
    ("Moved", "c2", ("Moved",)),
    ("Vanished", "c3", ("Vanished", "Replaced")),
    ("Enriched", "c4", ("Enriched", "MatchValidated")),
    ("Queued or failed", "c5", ("MatchAmbiguous", "NoMatch", "MatchRejected", "EnrichmentFailed")),
    ("Links", "c6", ("LinkCreated", "LinkRetargeted", "LinkRepaired", "LinkQuarantined",
                     "LinkRestored", "LinkRemoved")),
    ("Analyzed, verified", "c8", ("Analyzed", "HashVerified", "FullHashRecorded")),
)  # fmt: skip
OTHER = ("Other", "c7")

INTEGRITY_SERIES: tuple[tuple[str, str, str], ...] = (
    ("ghosts", "Ghosts", "c3"),
    ("orphans", "Orphans", "c5"),
    ("broken_links", "Broken links", "c6"),
    ("stray_links", "Stray links", "c2"),
    ("duplicates", "Duplicates", "c1"),
    ("hash_mismatches", "Hash mismatches", "c4"),
    ("unreadable_media", "Unreadable media", "c8"),
)

WIDTH = 720
LABEL_W = 132
PEAK_W = 56
ROW_H = 34
BAR_GAP = 0.18  # fraction of a slot left empty
MAX_SLOTS = 120
MAX_BAR_W = 28.0  # a few days of data: narrow bars, not one wide band


def family_of(event_type: str) -> str:
    for name, _, types in FAMILIES:
        if event_type in types:
            return name
    return OTHER[0]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    css: str
    title: str  # the tooltip (SVG <title>)


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass
class Row:
    name: str
    css: str
    types: tuple[str, ...]
    total: int
    peak: int
    y: float
    bars: list[Bar] = field(default_factory=list)


@dataclass
class EventsChart:
    width: int
    height: int
    bucket: str  # day, week or month
    rows: list[Row]
    ticks: list[Tick]
    axis_y: float
    first: str
    last: str
    total: int
    table: list[dict[str, object]]  # one row per bucket, for the Markdown report

    @property
    def empty(self) -> bool:
        return not self.rows


def _bucket_start(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next(day: date, bucket: str) -> date:
    if bucket == "week":
        return day + timedelta(days=7)
    if bucket == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def _label(day: date, bucket: str) -> str:
    if bucket == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


def events_chart(per_day: Sequence[tuple[str, str, int]]) -> EventsChart:
    """Small multiples of events per day (or week, or month) by family of types."""
    if not per_day:
        return EventsChart(WIDTH, 0, "day", [], [], 0.0, "", "", 0, [])
    days = [date.fromisoformat(d) for d, _, _ in per_day]
    first, last = min(days), max(days)
    bucket = "day"
    if (last - first).days + 1 > MAX_SLOTS:
        bucket = "week" if (last - first).days // 7 + 1 <= MAX_SLOTS else "month"
    slots: list[date] = []
    cursor = _bucket_start(first, bucket)
    while cursor <= last:
        slots.append(cursor)
        cursor = _next(cursor, bucket)
    index = {s: i for i, s in enumerate(slots)}

    # counts[family][slot][type]
    counts: dict[str, dict[int, dict[str, int]]] = {}
    for (_, type_, n), day in zip(per_day, days, strict=True):
        fam = family_of(type_)
        slot = index[_bucket_start(day, bucket)]
        by_type = counts.setdefault(fam, {}).setdefault(slot, {})
        by_type[type_] = by_type.get(type_, 0) + n

    families = [(n, c, t) for n, c, t in FAMILIES if n in counts]
    if OTHER[0] in counts:
        others = sorted({t for _, t, _ in per_day if family_of(t) == OTHER[0]})
        families.append((OTHER[0], OTHER[1], tuple(others)))

    area_x = LABEL_W
    area_w = WIDTH - LABEL_W - PEAK_W
    slot_w = area_w / len(slots)
    bar_w = min(max(slot_w * (1 - BAR_GAP), 0.8), MAX_BAR_W)
    rows: list[Row] = []
    y = 8.0
    for name, css, types in families:
        per_slot = counts[name]
        totals = {i: sum(v.values()) for i, v in per_slot.items()}
        peak = max(totals.values())
        row = Row(name, css, types, sum(totals.values()), peak, y)
        inner = ROW_H - 10
        for i, total in sorted(totals.items()):
            h = max(inner * total / peak, 1.5)
            detail = ", ".join(f"{t} {n:,}" for t, n in sorted(per_slot[i].items()))
            row.bars.append(
                Bar(
                    x=round(area_x + i * slot_w + (slot_w - bar_w) / 2, 2),
                    y=round(y + inner - h, 2),
                    w=round(bar_w, 2),
                    h=round(h, 2),
                    css=css,
                    title=f"{_label(slots[i], bucket)}: {total:,} ({detail})",
                )
            )
        rows.append(row)
        y += ROW_H
    axis_y = y - 8
    ticks = _ticks(slots, bucket, area_x, slot_w)
    table = []
    for i, s in enumerate(slots):
        cells: dict[str, object] = {"bucket": _label(s, bucket)}
        any_event = False
        for name, _, _ in families:
            n = sum(counts[name].get(i, {}).values())
            cells[name] = n
            any_event = any_event or n > 0
        if any_event:
            table.append(cells)
    return EventsChart(
        width=WIDTH,
        height=int(axis_y + 24),
        bucket=bucket,
        rows=rows,
        ticks=ticks,
        axis_y=axis_y,
        first=_label(slots[0], bucket),
        last=_label(slots[-1], bucket),
        total=sum(r.total for r in rows),
        table=table,
    )


def _ticks(slots: Sequence[date], bucket: str, area_x: float, slot_w: float) -> list[Tick]:
    """At most six labels along the time axis, first and last included."""
    n = len(slots)
    if n == 1:
        picks = [0]
    else:
        step = max(1, round((n - 1) / 5))
        picks = list(range(0, n, step))
        if picks[-1] != n - 1:
            if (n - 1) - picks[-1] < step / 2 and len(picks) > 1:
                picks[-1] = n - 1
            else:
                picks.append(n - 1)
    return [
        Tick(x=round(area_x + i * slot_w + slot_w / 2, 2), label=_label(slots[i], bucket))
        for i in picks
    ]


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    css: str


@dataclass
class IntegrityChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[Label]
    legend: list[tuple[str, str]]  # (label, css)
    peak: int
    axis_y: float
    top_y: float

    @property
    def empty(self) -> bool:
        return not self.ticks


def integrity_chart(checks: Sequence[dict[str, object]], labels: Sequence[str]) -> IntegrityChart:
    """One stacked bar per check run (oldest first); ``labels`` names each run on the axis."""
    height = 200
    top, bottom, left, right = 22.0, 26.0, 44.0, 12.0
    if not checks:
        return IntegrityChart(WIDTH, 0, [], [], [], [], 0, 0.0, 0.0)
    area_w = WIDTH - left - right
    area_h = height - top - bottom
    slot_w = area_w / max(len(checks), 1)
    bar_w = min(slot_w * (1 - BAR_GAP * 2), 64.0)
    totals = [int(c["total"]) for c in checks]  # type: ignore[call-overload]
    peak = max([*totals, 1])
    bars: list[Bar] = []
    values: list[Label] = []
    for i, check in enumerate(checks):
        counts = check["counts"]
        assert isinstance(counts, dict)
        x = left + i * slot_w + (slot_w - bar_w) / 2
        y = top + area_h
        for key, label, css in INTEGRITY_SERIES:
            n = int(counts.get(key, 0))
            if not n:
                continue
            h = area_h * n / peak
            y -= h
            bars.append(
                Bar(round(x, 2), round(y, 2), round(bar_w, 2), round(h, 2), css,
                    f"{labels[i]}: {n:,} {label.lower()}")
            )  # fmt: skip
        middle = round(x + bar_w / 2, 2)
        if totals[i] == 0:
            bars.append(
                Bar(round(x, 2), round(top + area_h - 2, 2), round(bar_w, 2), 2.0, "clean",
                    f"{labels[i]}: clean")
            )  # fmt: skip
            values.append(Label(middle, round(top + area_h - 6, 2), "clean", "ok"))
        else:
            values.append(Label(middle, round(y - 4, 2), f"{totals[i]:,}", "total"))
    picks = range(len(checks))
    if len(checks) > 8:
        step = max(1, round((len(checks) - 1) / 6))
        picks = range(0, len(checks), step)
    ticks = [Tick(round(left + i * slot_w + slot_w / 2, 2), labels[i]) for i in picks]
    used = {b.css for b in bars}
    legend = [(label, css) for _, label, css in INTEGRITY_SERIES if css in used]
    return IntegrityChart(WIDTH, height, bars, ticks, values, legend, peak, top + area_h, top)
