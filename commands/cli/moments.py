"""Moments typed by people (``--since``, ``--until``, ``--as-of``, ``--from``, ``--to``).

Accepted: an ISO date (``2024-05-01``), an ISO date and time (``2024-05-01T18:30``,
``2024-05-01 18:30:00+02:00``), ``now``, ``today``, ``yesterday``, or an age such as
``90m``, ``12h``, ``7d``, ``2w`` (that long ago). A moment without a zone is in the local
zone. A bare date is the start of that day for the beginning of a range (``--since``,
``--from``) and its end for the end of one (``--until``, ``--to``, ``--as-of``), so
``--since 2024-05-01 --until 2024-05-01`` covers that whole day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from videotheque.commands.errors import UsageError

_AGE = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
FORMS = "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][+HH:MM], now, today, yesterday, or an age (7d, 12h)"


def local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def parse_moment(
    text: str,
    *,
    end_of_day: bool,
    now: datetime | None = None,
    tz: tzinfo | None = None,
    option: str = "date",
) -> datetime:
    """An aware datetime for what a person typed, between 1970 and 9998.

    An empty or blank value is refused, not taken for now: ``--as-of "$DAY"`` with DAY unset
    would otherwise show today's catalog as if it were that day's."""
    if not text.strip():
        raise UsageError(f"{option} {text!r} is empty: give a moment ({FORMS})")
    try:
        moment = _parse(text, end_of_day=end_of_day, now=now, tz=tz, option=option)
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise UsageError(
            f"{option} {text!r} is out of range: a moment between "
            f"{EARLIEST.date()} and {LATEST.date()} (no event is older or newer)"
        )
    return moment


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _parse(
    text: str,
    *,
    end_of_day: bool,
    now: datetime | None,
    tz: tzinfo | None,
    option: str,
) -> datetime:
    current = now or datetime.now(tz)
    current = current.astimezone(tz) if tz else current.astimezone()
    value = text.strip().lower()
    day: date | None = None
    if value == "now":
        return current
    if value in ("today", "yesterday"):
        day = current.date() - timedelta(days=1 if value == "yesterday" else 0)
    elif m := _AGE.match(value):
        return current - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise UsageError(f"{option} {text!r}: {exc}") from exc
    if day is not None:
        return _aware(datetime.combine(day, time.max if end_of_day else time.min), tz)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a moment: use {FORMS}") from None
    return moment if moment.tzinfo is not None else _aware(moment, tz)


def _aware(moment: datetime, tz: tzinfo | None) -> datetime:
    """A naive moment in ``tz``, or in the local zone (with that date's DST offset)."""
    return moment.replace(tzinfo=tz) if tz is not None else moment.astimezone()
