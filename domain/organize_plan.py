"""Where ``organize`` puts each file's link: naming templates and safe file names.

Pure logic. A template is a ``str.format`` pattern over these fields, with ``/`` between
folders: ``title``, ``show`` (the same title, for episodes), ``year``, ``season``,
``episode`` (numbers), ``episodes`` (``E02``, or ``E01-E02`` for a double episode) and
``ext`` (with its dot). A missing year renders as nothing and the ``()`` or ``[]`` around
it disappears. Titles are made safe for file names (no ``/``, ``:`` and the characters
Windows and media servers trip on); a name longer than 255 bytes is shortened.
"""

from __future__ import annotations

import posixpath
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_TEMPLATES: dict[str, str] = {
    "movie": "Films/{title} ({year})/{title} ({year}){ext}",
    "episode": "Series/{show} ({year})/Season {season:02d}/{show} - S{season:02d}{episodes}{ext}",
}
MAX_NAME_BYTES = 255

_EMPTY_BRACKETS = re.compile(r"\s*(\(\s*\)|\[\s*\])")
# Dropped from a title before it names a file: control characters, and the bidi
# embeddings, overrides and isolates that make a name read backwards (a provider's title
# "Alien\u202e4pm.exe" would show in a file manager as "Alienexe.mp4").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_UNSAFE = str.maketrans(
    {"/": "-", "\\": "-", ":": " -", "*": "", "?": "", '"': "'", "<": "", ">": "", "|": "-"}
)


class TemplateError(ValueError):
    """A template that cannot render a safe relative path."""


@dataclass(frozen=True)
class Placeable:
    """A present catalogued file, with its best known name."""

    file_id: str
    path: str  # relative to the storage root
    kind: str | None
    title: str | None
    year: int | None = None
    season: int | None = None
    episode: int | None = None
    episodes: tuple[int, ...] = ()
    extra: str | None = None
    matched: bool = False  # enrich matched it, or a person validated the match
    layout: bool = False  # its path is a documented layout, read as catalogued (fast path)
    alternatives: tuple[Any, ...] = ()  # the parse's other readings (a year or a title?)


@dataclass(frozen=True)
class Placement:
    file_id: str
    path: str  # the file, relative to the storage root
    link: str  # its link, relative to the video root


@dataclass(frozen=True)
class Unplaced:
    file_id: str
    path: str
    reason: str


class _Blank:
    """A missing value: renders as nothing whatever the format spec."""

    def __format__(self, spec: str) -> str:
        return ""


def safe_value(text: str) -> str:
    """A title as a piece of a file name."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text).translate(_UNSAFE)
    return _SPACES.sub(" ", text).strip()


def safe_component(name: str, keep_suffix: str = "") -> str:
    """One path component: no leading dot or space, no trailing dot or space, at most
    255 bytes (shortened before ``keep_suffix``, the extension). Empty when nothing is left.
    """
    name = _SPACES.sub(" ", name).strip().lstrip(".").strip()
    if keep_suffix and name.endswith(keep_suffix) and len(name) > len(keep_suffix):
        stem, suffix = name[: -len(keep_suffix)], keep_suffix
    else:
        stem, suffix = name, ""
    stem = stem.rstrip(". ")
    while stem and len((stem + suffix).encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        stem = stem[:-1].rstrip(". ")
    return stem + suffix if stem else ""


def episodes_code(episode: int | None, episodes: Sequence[int]) -> str:
    numbers = sorted(set(episodes)) or ([episode] if episode is not None else [])
    if not numbers:
        return ""
    if len(numbers) == 1:
        return f"E{numbers[0]:02d}"
    return f"E{numbers[0]:02d}-E{numbers[-1]:02d}"


def fields(f: Placeable) -> dict[str, Any]:
    title = safe_value(f.title or "")
    ext = posixpath.splitext(posixpath.basename(f.path))[1]
    blank = _Blank()
    return {
        "title": title,
        "show": title,
        "year": f.year if f.year is not None else blank,
        "season": f.season if f.season is not None else blank,
        "episode": f.episode if f.episode is not None else blank,
        "episodes": episodes_code(f.episode, f.episodes),
        "ext": ext,
    }


# A format spec may pad (``{season:02d}``) but never to more than a file name can hold: a
# width of 99999999999 would build a string of that size before anything else looked.
_SPEC_NUMBER = re.compile(r"\d+")


def _check_fields(template: str, values: Mapping[str, Any]) -> None:
    """Only the known fields, by name (no ``{title.__class__}``, no ``{title[0]}``), each
    with a plain format spec of sane width."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"template {template!r}: {exc!r}") from exc
    for _, name, spec, _ in parsed:
        if name is None:
            continue
        if name not in values:
            raise TemplateError(
                f"template {template!r}: unknown field {{{name}}} "
                f"(the fields are {', '.join(sorted(values))})"
            )
        if spec and (
            "{" in spec or any(int(n) > MAX_NAME_BYTES for n in _SPEC_NUMBER.findall(spec))
        ):
            raise TemplateError(f"template {template!r}: format {{{name}:{spec}}} is too wide")


def render(template: str, values: Mapping[str, Any]) -> str:
    """The link path a template gives for these field values (relative, safe)."""
    _check_fields(template, values)
    try:
        text = template.format_map(dict(values))
    except (KeyError, ValueError, IndexError, AttributeError) as exc:
        raise TemplateError(f"template {template!r}: {exc!r}") from exc
    ext = str(values.get("ext") or "")
    parts = template.split("/")
    rendered = text.split("/")
    if len(parts) != len(rendered):
        raise TemplateError(f"template {template!r}: a value added a folder separator")
    out = []
    for i, part in enumerate(rendered):
        last = i == len(rendered) - 1
        part = _EMPTY_BRACKETS.sub("", part)
        part = safe_component(part, ext if last else "")
        if not part or part in (".", ".."):
            raise TemplateError(f"template {template!r} renders an empty folder or file name")
        out.append(part)
    return "/".join(out)


def check_template(kind: str, template: str) -> None:
    """Refuse a template that does not render a relative path for a sample file."""
    if template.startswith("/"):
        raise TemplateError(f"{kind} template {template!r} must be relative to the video root")
    sample = Placeable("0", "x/sample.mkv", kind, "Sample", 2001, 1, 2, (2,))
    render(template, fields(sample))


_SEASON_FOLDER = re.compile(
    r"^(?:(?:season|saison|series|serie|livre|book|temporada|staffel|stagione) ?\d{1,4}"
    r"|s\d{1,4}|specials?)$"
)
_EPISODE_MARK = re.compile(r"(?:^|[^a-z0-9])(?:s\d{1,4} ?e\d{1,4}|\d{1,2}x\d{2,3})(?:[^0-9]|$)")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", ascii_only).strip()


def _show_layout(f: Placeable) -> bool:
    """An episode whose show and numbers the path states plainly: in a season folder under
    a folder named after the show, or in a file named "Show ... S01E02" / "Show 1x02"."""
    title = _fold(f.title or "")
    if not title:
        return False
    parts = [p for p in f.path.split("/") if p]
    name = _fold(posixpath.splitext(parts[-1])[0]) if parts else ""
    if (
        len(parts) >= 3
        and _SEASON_FOLDER.match(_fold(parts[-2]))
        and _fold(parts[-3]).startswith(title)
    ):
        return True
    return name.startswith(title) and _EPISODE_MARK.search(name[len(title) :]) is not None


def doubt(f: Placeable) -> str | None:
    """Why this file's identity is not confident enough to place it, or None.

    Confident: an identity enrich matched or a person validated; a path in a documented
    layout that the fast path reads exactly as catalogued; a film with a title and a year,
    no alternative reading; an episode with a title, season and episode, in a season folder
    under its show's folder or named "Show - S01E02". Never placed: extras and files of
    kind ``other`` (personal videos, dated clips, unparseable names)."""
    if f.kind == "extra":
        return f"extra ({f.extra})" if f.extra else "extra"
    if f.kind not in ("movie", "episode"):
        return f"kind {f.kind or 'unknown'}"
    if f.matched or f.layout:
        return None
    if f.alternatives:
        return f"ambiguous title ({len(f.alternatives) + 1} readings) and not matched"
    if f.kind == "movie":
        return "no year and not matched" if f.year is None else None
    if f.season is None or (f.episode is None and not f.episodes) or not f.title:
        return None  # desired_link says what is missing
    if not _show_layout(f):
        return "episode outside a show or season layout and not matched"
    return None


def desired_link(f: Placeable, templates: Mapping[str, str]) -> str | Unplaced:
    """The link path of one file, or why it gets none."""
    if f.kind not in ("movie", "episode"):
        return Unplaced(f.file_id, f.path, f"not a film or an episode ({f.kind or 'unknown'})")
    if not f.title or not safe_value(f.title):
        return Unplaced(f.file_id, f.path, "no title")
    if f.kind == "episode" and f.season is None:
        return Unplaced(f.file_id, f.path, "episode without a season number")
    if f.kind == "episode" and f.episode is None and not f.episodes:
        return Unplaced(f.file_id, f.path, "episode without an episode number")
    try:
        return render(templates[f.kind], fields(f))
    except TemplateError as exc:
        return Unplaced(f.file_id, f.path, str(exc))


def place(
    files: Iterable[Placeable],
    templates: Mapping[str, str],
    current: Mapping[str, str] | None = None,
) -> tuple[list[Placement], list[Unplaced]]:
    """The link of each file. Files that want the same link (two versions of a film) are
    told apart with `` - 2``, `` - 3`` before the extension; the file the link already
    points at (``current``: link -> storage path) keeps the plain name."""
    current = current or {}
    groups: dict[str, list[tuple[Placeable, str]]] = {}
    unplaced: list[Unplaced] = []
    for f in files:
        reason = doubt(f)
        want = desired_link(f, templates) if reason is None else Unplaced(f.file_id, f.path, reason)
        if isinstance(want, Unplaced):
            unplaced.append(want)
            continue
        groups.setdefault(want.casefold(), []).append((f, want))
    placements: list[Placement] = []
    taken = {key for key in groups}
    for members in groups.values():
        members.sort(key=lambda m: (current.get(m[1]) != m[0].path, m[0].path))
        placements.append(Placement(members[0][0].file_id, members[0][0].path, members[0][1]))
        n = 1
        for f, want in members[1:]:
            while True:
                n += 1
                stem, ext = posixpath.splitext(want)
                other = safe_component(posixpath.basename(stem) + f" - {n}" + ext, ext)
                candidate = posixpath.join(posixpath.dirname(want), other)
                if candidate.casefold() not in taken:
                    break
            taken.add(candidate.casefold())
            placements.append(Placement(f.file_id, f.path, candidate))
    placements.sort(key=lambda p: p.link)
    return placements, unplaced
