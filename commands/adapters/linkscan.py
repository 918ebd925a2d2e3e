"""Finding the symlinks of the video tree, and which of them are broken.

The walk is ``os.scandir`` from the video root, never following a symlink (so it cannot
leave the root or loop through folders). ``DirEntry`` already knows from the folder listing
whether an entry is a link or a folder, so the only system calls per link are one
``readlink`` and one ``stat`` through it; regular files cost nothing. That keeps detection
close to ``find VIDEO -xtype l``.

``VideoTreeWalk`` (``check``) runs the same walk as GNU ``find -printf`` in its own
process, beside the caller's own work, and parses its output into the same entries;
without a GNU find it falls back to ``scan_links``.

A link is a finding when its target is missing, when resolving it loops, or when it
resolves outside the storage root (whether or not something exists there).
"""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videotheque.commands.config import Config
from videotheque.commands.errors import UsageError
from videotheque.domain.link_plan import LOOP, MISSING, OUTSIDE, UNREADABLE, link_text
from videotheque.domain.paths import relative_to


@dataclass(frozen=True, slots=True)
class LinkEntry:
    """One symlink under the video root.

    ``link`` is relative to the video root; ``target`` is the link's text as stored;
    ``resolved`` is that text made absolute and normalised (lexically: the parent of
    the link's folder for ``..``); ``target_path`` is ``resolved`` relative to the storage
    root, or None when it lies outside; ``problem`` is None for a working link into storage.
    """

    link: str
    target: str
    resolved: str
    target_path: str | None
    problem: str | None

    @property
    def broken(self) -> bool:
        return self.problem is not None

    @property
    def absolute(self) -> bool:
        return self.target.startswith("/")


@dataclass
class LinkScan:
    root: str  # the video root (absolute)
    links: list[LinkEntry] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (rel path, reason)
    entries: int = 0

    @property
    def broken(self) -> list[LinkEntry]:
        return [e for e in self.links if e.problem is not None]


@dataclass(frozen=True)
class Roots:
    """The library's roots, absolute, plus their symlink-free forms (links are written
    and resolved against the real folders: a relative link climbs the physical tree)."""

    storage: str
    video: str
    trash: str
    real_storage: str
    real_video: str

    @classmethod
    def of(cls, storage: str, video: str, trash: str) -> Roots:
        return cls(
            storage=posixpath.normpath(storage),
            video=posixpath.normpath(video),
            trash=posixpath.normpath(trash),
            real_storage=os.path.realpath(storage),
            real_video=os.path.realpath(video),
        )

    def link_folder(self, link: str) -> str:
        """The real folder of ``link`` (relative to the video root): what its text is
        resolved against."""
        parent = posixpath.dirname(link)
        return posixpath.join(self.real_video, parent) if parent else self.real_video

    def target_text(self, link: str, storage_path: str, absolute: bool) -> str:
        """The text that makes ``link`` point at ``storage_path``: absolute (through the
        storage root as configured) or relative to the link's real folder."""
        if absolute:
            return link_text(posixpath.join(self.storage, storage_path), "", True)
        target = posixpath.join(self.real_storage, storage_path)
        return link_text(target, self.link_folder(link), False)

    def storage_relative(self, absolute: str) -> str | None:
        """``absolute`` (normalised) relative to the storage root, via either of its
        spellings (as configured, or with symlinks resolved)."""
        rel = relative_to(absolute, self.real_storage)
        if rel is None and self.storage != self.real_storage:
            rel = relative_to(absolute, self.storage)
        return rel or None

    def really_inside(self, path: str) -> str | None:
        """``really_inside`` of this library's storage (None for the root itself too)."""
        return really_inside(path, self.real_storage, self.storage) or None


def really_inside(path: str, real_storage: str, storage: str | None = None) -> str | None:
    """Where ``path`` really is, relative to the storage root, or None outside it: every
    symlink on the way resolved by the kernel's rules (``os.path.realpath``), so a folder
    inside storage that is a symlink to elsewhere leads out of it. ``check`` judges links
    this way, and no link is written that would not pass. (``storage``: the root as
    configured, for a path that cannot be resolved further.)"""
    real = os.path.realpath(path)
    inside = relative_to(real, real_storage)
    if inside is None and storage is not None:
        inside = relative_to(real, storage)
    return inside


def leading_out(roots: Roots, entries: list[LinkEntry]) -> list[LinkEntry]:
    """The working links of ``entries`` (into storage by their text) that really lead out
    of it: through a folder of storage that is a symlink to elsewhere, or to a file of
    storage that is itself a link out. Given back with the ``OUTSIDE`` problem, as ``check``
    reports them (stray, outside storage). One ``lstat`` a link, one ``realpath`` a
    folder."""
    real_dirs: dict[str, str] = {}
    out = []
    for e in entries:
        if e.problem is not None:
            continue
        folder, _, name = e.resolved.rpartition("/")
        real_dir = real_dirs.get(folder)
        if real_dir is None:
            real_dir = real_dirs[folder] = os.path.realpath(folder or "/")
        real = posixpath.join(real_dir, name)
        try:
            if os.path.islink(real):
                real = os.path.realpath(real)
        except OSError:
            continue
        inside = relative_to(real, roots.real_storage)
        if inside is None:
            inside = relative_to(real, roots.storage)
        if inside is None:
            out.append(LinkEntry(e.link, e.target, e.resolved, e.target_path, OUTSIDE))
    return out


def really_working(roots: Roots, entry: LinkEntry) -> bool:
    """A link whose text names no place in storage (another link, in the video tree) but
    that, followed to its end, reaches a file or folder in storage: working, as ``check``
    judges it, not a link leading outside."""
    if entry.problem != OUTSIDE:
        return False
    path = posixpath.join(roots.video, entry.link)
    return os.path.exists(path) and roots.really_inside(path) is not None


def resolve_text(text: str, link_dir_abs: str) -> str:
    """The absolute, normalised path a link's text names, seen from its folder."""
    if text.startswith("/"):
        return posixpath.normpath(text)
    return posixpath.normpath(posixpath.join(link_dir_abs, text))


def inspect_link(roots: Roots, rel: str) -> LinkEntry | None:
    """Look at one path relative to the video root: None when it is not a symlink."""
    path = posixpath.join(roots.video, rel)
    try:
        text = os.readlink(path)
    except OSError:
        return None
    return _entry(roots, rel, path, text, roots.link_folder(rel))


def _entry(roots: Roots, rel: str, path: str, text: str, real_dir: str) -> LinkEntry:
    resolved = resolve_text(text, real_dir)
    target_path = roots.storage_relative(resolved)
    problem: str | None = None
    try:
        os.stat(path)
    except OSError as exc:
        problem = _problem(exc)
    if problem is None and target_path is None:
        problem = OUTSIDE
    return LinkEntry(rel, text, resolved, target_path, problem)


def scan_links(roots: Roots, start: str | None = None, broken_only: bool = False) -> LinkScan:
    """Every symlink under ``start`` (a folder inside the video root; default: the root).

    ``broken_only`` keeps only the findings (working links into storage are still
    looked at: a ``stat`` is how a broken one is told apart). Folders are opened once
    and links read relative to them (``dir_fd``), so the kernel resolves one name per
    call; what a link's folder part resolves to is cached per folder.
    """
    root = roots.video
    base = posixpath.normpath(start) if start else root
    first = relative_to(base, root)
    if first is None:
        raise ValueError(f"{base} is not inside the video root {root}")
    scan = LinkScan(root=root)
    stack: list[str] = [first]
    real_video = roots.real_video
    resolve = _DirResolver(roots)
    readlink = os.readlink
    stat = os.stat
    flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
    while stack:
        rel_dir = stack.pop()
        abs_dir = posixpath.join(root, rel_dir) if rel_dir else root
        real_dir = posixpath.join(real_video, rel_dir) if rel_dir else real_video
        prefix = rel_dir + "/" if rel_dir else ""
        try:
            fd = os.open(abs_dir, flags)
        except OSError as exc:
            scan.errors.append((rel_dir or ".", exc.strerror or type(exc).__name__))
            continue
        try:
            with os.scandir(fd) as it:
                for entry in _entries(it, scan, rel_dir):
                    scan.entries += 1
                    name = entry.name
                    try:
                        if entry.is_symlink():
                            text = readlink(name, dir_fd=fd)
                            head, _, tail = text.rpartition("/")
                            if tail in ("", ".", ".."):
                                resolved = resolve_text(text, real_dir)
                                target_path = roots.storage_relative(resolved)
                            else:
                                rdir, sdir = resolve(real_dir, head, text.startswith("/"))
                                resolved = rdir + "/" + tail if rdir != "/" else "/" + tail
                                if sdir is None:
                                    target_path = None
                                else:
                                    target_path = sdir + "/" + tail if sdir else tail
                            problem: str | None = None
                            try:
                                stat(name, dir_fd=fd)
                            except OSError as exc:
                                problem = _problem(exc)
                            if problem is None and target_path is None:
                                problem = OUTSIDE
                            if problem is not None or not broken_only:
                                scan.links.append(
                                    LinkEntry(prefix + name, text, resolved, target_path, problem)
                                )
                        elif entry.is_dir(follow_symlinks=False):
                            stack.append(prefix + name)
                    except OSError as exc:  # vanished mid-walk, permission, ...
                        scan.errors.append((prefix + name, exc.strerror or type(exc).__name__))
        finally:
            os.close(fd)
    scan.links.sort(key=lambda e: e.link)
    return scan


def _problem(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return LOOP
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return MISSING
    return UNREADABLE


class _DirResolver:
    """What a link's folder part names (absolute) and that relative to storage, cached:
    the links of one folder nearly always share it."""

    def __init__(self, roots: Roots) -> None:
        self.roots = roots
        self.cache: dict[tuple[str, str], tuple[str, str | None]] = {}

    def __call__(self, real_dir: str, head: str, absolute: bool) -> tuple[str, str | None]:
        key = ("" if absolute else real_dir, head)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        if absolute:
            rdir = posixpath.normpath(head or "/")
        else:
            rdir = posixpath.normpath(posixpath.join(real_dir, head)) if head else real_dir
        rel = relative_to(rdir, self.roots.real_storage)
        if rel is None and self.roots.storage != self.roots.real_storage:
            rel = relative_to(rdir, self.roots.storage)
        self.cache[key] = (rdir, rel)
        return rdir, rel


def _entries(
    it: Iterator[os.DirEntry[str]], scan: LinkScan, rel_dir: str
) -> Iterator[os.DirEntry[str]]:
    while True:
        try:
            entry = next(it)
        except StopIteration:
            return
        except OSError as exc:
            scan.errors.append((rel_dir or ".", exc.strerror or type(exc).__name__))
            return
        yield entry


# ---- the same walk by GNU find, in its own process ----------------------------------------


class VideoTreeWalk:
    """The walk of the video tree, started now and collected later: by GNU ``find`` when
    there is one, in its own process, while this one walks storage (a second thread
    would take turns with the storage walk for the interpreter: slower than one after the
    other); else, when collected, by ``scan_links`` itself."""

    def __init__(self, roots: Roots) -> None:
        self.roots = roots
        self._find = _FindRun.start(roots)

    def result(self) -> LinkScan:
        found = self._find.result() if self._find is not None else None
        self._find = None
        return found if found is not None else scan_links(self.roots)

    def close(self) -> None:
        if self._find is not None:
            self._find.close()
            self._find = None


def walk_video_tree(roots: Roots) -> LinkScan:
    """Every symlink under the video root, as ``scan_links`` sees them."""
    return VideoTreeWalk(roots).result()


def find_links(roots: Roots) -> LinkScan | None:
    """``scan_links`` by GNU ``find`` (None when there is no find that can do it)."""
    run = _FindRun.start(roots)
    return run.result() if run is not None else None


# find's %Y (the type of what a link leads to) -> linkscan's problem
_FIND_TYPES = {"N": MISSING, "L": LOOP, "?": UNREADABLE}


class _FindRun:
    """``find -H ROOT -type l -printf '%P %Y %l'`` writing to temporary files."""

    def __init__(self, roots: Roots, proc: subprocess.Popen[bytes], out: Any, err: Any) -> None:
        self.roots, self.proc, self.out, self.err = roots, proc, out, err

    @classmethod
    def start(cls, roots: Roots) -> _FindRun | None:
        exe = shutil.which("find")
        if exe is None:
            return None
        # closed by result() or close(): they outlive this call, no context manager fits
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115
        try:
            proc = subprocess.Popen(
                [exe, "-H", roots.video, "-type", "l", "-printf", "%P\\0%Y\\0%l\\0"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env={**os.environ, "LC_ALL": "C"},
            )
        except OSError:
            out.close()
            err.close()
            return None
        return cls(roots, proc, out, err)

    def result(self) -> LinkScan | None:
        """The links, as ``scan_links`` gives them: the text resolved lexically from the
        real folder the link sits in, made relative to storage, its problem from find's
        follow. None when find could not do it (not GNU find: no -printf)."""
        try:
            code = self.proc.wait()
            self.out.seek(0)
            self.err.seek(0)
            out, err = self.out.read(), self.err.read()
        finally:
            self.out.close()
            self.err.close()
        if code != 0 and not out:
            return None  # walk in Python: it says what it could not read
        return _parse_find(self.roots, out, err)

    def close(self) -> None:
        """Stop find if it still runs (the check failed before collecting it)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()


def _parse_find(roots: Roots, out: bytes, err: bytes) -> LinkScan:
    """find's ``%P\\0%Y\\0%l\\0`` records as ``scan_links`` entries: the text resolved the
    same way (``_DirResolver``), the problem from find's own follow."""
    scan = LinkScan(root=roots.video)
    parts = out.split(b"\0")
    real_video = roots.real_video
    resolve = _DirResolver(roots)
    links = scan.links
    for i in range(0, len(parts) - 2, 3):
        rel = parts[i].decode("utf-8", "surrogateescape")
        text = parts[i + 2].decode("utf-8", "surrogateescape")
        parent, _, _ = rel.rpartition("/")
        head, _, tail = text.rpartition("/")
        real_dir = f"{real_video}/{parent}" if parent else real_video
        if tail in ("", ".", ".."):
            resolved = resolve_text(text, real_dir)
            target_path = roots.storage_relative(resolved)
        else:
            rdir, sdir = resolve(real_dir, head, text.startswith("/"))
            resolved = rdir + "/" + tail if rdir != "/" else "/" + tail
            if sdir is None:
                target_path = None
            elif sdir:
                target_path = f"{sdir}/{tail}"
            else:
                target_path = tail
        problem = _FIND_TYPES.get(parts[i + 1].decode("ascii", "replace"))
        if problem is None and target_path is None:
            problem = OUTSIDE
        links.append(LinkEntry(rel, text, resolved, target_path, problem))
    for line in err.decode("utf-8", "surrogateescape").splitlines():
        scan.errors.append((_find_error_path(line, roots.video), line.split(": ")[-1]))
    links.sort(key=lambda e: e.link)
    return scan


def _find_error_path(line: str, root: str) -> str:
    """The path, relative to ``root``, in a message such as ``find: '/v/x': Permission
    denied`` (the whole line when it names none)."""
    start, end = line.find("'"), line.rfind("'")
    if 0 <= start < end:
        path = line[start + 1 : end]
        rel = relative_to(path, root)
        return (rel or ".") if rel is not None else path
    return line


# ---- the library's roots ---------------------------------------------------------------------


def check_roots(storage: Path, video: Path, trash: Path) -> None:
    """Refuse overlapping roots: links inside storage, storage inside the trash, ..."""
    named = {"storage": storage, "video": video, "trash": trash}
    for a, pa in named.items():
        for b, pb in named.items():
            if a >= b:
                continue
            if pa == pb:
                raise UsageError(f"the {a} and {b} roots are the same folder: {pa}")
            if pa.is_relative_to(pb) or pb.is_relative_to(pa):
                inner, outer = (a, b) if pa.is_relative_to(pb) else (b, a)
                raise UsageError(
                    f"the {inner} root ({named[inner]}) lies inside the {outer} root "
                    f"({named[outer]}): roots must not overlap"
                )


def roots_of(config: Config) -> Roots:
    """The storage, video and trash roots ``init`` recorded, absolute and checked not to
    overlap (as written and with symlinks resolved). A config without one of them is an
    error, never filled in with another root."""
    c = config
    if c.storage is None or c.video is None or c.trash is None:
        raise UsageError("the library has no storage, video or trash root: run `init` again")
    storage = Path(os.path.abspath(c.storage))
    video = Path(os.path.abspath(c.video))
    trash = Path(os.path.abspath(c.trash))
    check_roots(storage, video, trash)
    roots = Roots.of(os.fsdecode(storage), os.fsdecode(video), os.fsdecode(trash))
    check_roots(
        Path(roots.real_storage), Path(roots.real_video), Path(os.path.realpath(roots.trash))
    )
    return roots
