"""Technical facts read from the media files themselves, with MediaInfo (pymediainfo).

The file name says what a file claims to be; MediaInfo says what it is: container, duration,
bitrate, the video stream, every audio and subtitle track. ``analyze`` turns one file into a
JSON-safe dict (what the ``Analyzed`` event records); ``analyze_many`` reads many files in
threads (libmediainfo releases the interpreter while it reads and parses) with a per-file
timeout.

Statuses:

- ``ok``: MediaInfo recognised a container; the facts are filled in (a truncated file is
  ``ok`` with ``truncated: true``: what could be read is still worth knowing).
- ``unknown``: a sparse or zero-filled file (the demo library, a preallocated download that
  has not started): there is nothing to read yet, and that is not an error.
- ``unreadable``: not a media file (renamed text, an HTML error page saved as ``.mkv``), an
  empty file, a file libmediainfo fails on; ``reason`` says which.
- ``error``: the path could not be read (gone, permission denied, an I/O error) and
  ``timeout``: no answer within the timeout (a stalled network share). Neither is a fact
  about the content: callers report them and record nothing, so a later run retries.

A read that hangs in the kernel cannot be interrupted from Python. ``analyze_many`` therefore
runs its own daemon threads rather than a ``ThreadPoolExecutor`` (whose threads are joined at
exit, so one hung read would hang the process): a worker that overruns its deadline is
reported and abandoned, a fresh worker takes its place, and once too many workers are stuck
the files left are reported as not analysed instead of feeding more threads to a dead share.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import json
import os
import queue
import re
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pymediainfo import MediaInfo

Facts = dict[str, Any]

DEFAULT_TIMEOUT_S = 60.0
_SNIFF = 64 * 1024
# A file whose allocated blocks cover less than this share of its size is "sparse" (holes).
_SPARSE_RATIO = 8
_SPARSE_MIN_SIZE = 4 * 1024 * 1024
# Same options on every call: pymediainfo warns against differing options across threads.
_PARSE_OPTIONS: dict[str, Any] = {"output": "JSON", "full": False, "parse_speed": 0.5}


def default_workers() -> int:
    """Threads for analysis: reads overlap (disks, network shares), parsing releases the GIL."""
    return max(2, min(16, 2 * (os.cpu_count() or 1)))


@functools.cache
def mediainfo_version() -> str:
    """The version of the libmediainfo that pymediainfo loads (e.g. ``"24.12"``)."""
    doc = json.loads(MediaInfo.parse(io.BytesIO(b""), **_PARSE_OPTIONS))
    return str(doc.get("creatingLibrary", {}).get("version") or "unknown")


def _empty(status: str, reason: str | None) -> Facts:
    return {
        "status": status,
        "reason": reason,
        "mediainfo_version": mediainfo_version(),
        "container": None,
        "duration_s": None,
        "overall_bitrate": None,
        "title": None,
        "truncated": False,
        "video": None,
        "audio": [],
        "subtitles": [],
    }


def timed_out(timeout: float) -> Facts:
    return _empty("timeout", f"no answer within {timeout:g} s (stalled read?)")


def _os_reason(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


def analyze_file(path: Path | str) -> Facts:
    """Analyse one file now, in this thread, without a timeout (see ``analyze``)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return _empty("error", _os_reason(exc))
    if not stat.S_ISREG(st.st_mode):
        return _empty("error", "not a regular file")
    if st.st_size == 0:
        return _empty("unreadable", "empty file")
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        return _empty("error", _os_reason(exc))
    try:
        head = os.pread(fd, _SNIFF, 0)
        if _zero(head):
            return _empty("unknown", "zero-filled: nothing to read yet")
        if _sparse(fd, st):
            return _empty("unknown", "sparse file: a placeholder or an unfinished download")
        raw = _parse(path, fd)
    except OSError as exc:
        return _empty("error", f"read error: {_os_reason(exc)}")
    except Exception as exc:  # libmediainfo failing on a file must not stop a run
        return _empty("unreadable", f"MediaInfo failed: {exc.__class__.__name__}")
    finally:
        os.close(fd)
    return facts_from_json(raw, head)


_ZEROS = bytes(_SNIFF)
_DRAIN = 256  # results handed on per wake-up of analyze_many


def _zero(data: bytes) -> bool:
    """All zero bytes (a memcmp: ``bytes.strip`` is ~40x slower on 64 KiB)."""
    return data == (_ZEROS if len(data) == _SNIFF else bytes(len(data)))


def _sparse(fd: int, st: os.stat_result) -> bool:
    """Mostly holes, and zeros at the quarter marks: a placeholder, not a video.

    The zero reads guard against file systems that report no allocated blocks at all.
    """
    size = st.st_size
    if size < _SPARSE_MIN_SIZE or st.st_blocks * 512 * _SPARSE_RATIO >= size:
        return False
    return all(_zero(os.pread(fd, _SNIFF, size * q // 4)) for q in (1, 3))


# Control characters (C0, DEL, C1), quotes and backslashes in a name.
_AWKWARD = re.compile('[\x00-\x1f\x7f-\x9f"\\\\]')


def _parse(path: Path | str, fd: int) -> str:
    name = os.fspath(path)
    if isinstance(name, str) and not _AWKWARD.search(name):
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            pass  # non-UTF-8 bytes: libmediainfo would open another name; feed it the fd
        else:
            return str(MediaInfo.parse(name, **_PARSE_OPTIONS))
    # A name libmediainfo cannot open, or would write into its JSON unescaped (control
    # characters): it reads the open file instead, and never sees the name.
    with os.fdopen(os.dup(fd), "rb") as f:
        return str(MediaInfo.parse(f, **_PARSE_OPTIONS))


# ---- from MediaInfo's JSON to the recorded facts -------------------------------------------


def _tag_text(value: Any) -> str | None:
    """A tag's text. libmediainfo gives a tag holding control characters as
    ``{"@dt": "binary.base64", "#value": ...}``: decoded (the terminal shows such
    characters visibly wherever a title is printed)."""
    if isinstance(value, dict) and value.get("@dt") == "binary.base64":
        try:
            return base64.b64decode(str(value.get("#value", ""))).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None
    return value if isinstance(value, str) else None


def facts_from_json(raw: str, head: bytes = b"") -> Facts:
    """The recorded facts from MediaInfo's JSON output (``head``: the file's first bytes,
    to say what a file that is not media looks like)."""
    # strict=False: a tag (an embedded title) may hold control characters that
    # libmediainfo writes into its JSON unescaped.
    doc = json.loads(raw, strict=False)
    tracks: list[dict[str, Any]] = (doc.get("media") or {}).get("track") or []
    general = next((t for t in tracks if t.get("@type") == "General"), {})
    videos = [t for t in tracks if t.get("@type") == "Video"]
    audios = [t for t in tracks if t.get("@type") == "Audio"]
    texts = [t for t in tracks if t.get("@type") == "Text"]
    facts = _empty("ok", None)
    facts["mediainfo_version"] = str((doc.get("creatingLibrary") or {}).get("version") or "")
    if not general.get("Format") and not videos and not audios:
        facts["status"] = "unreadable"
        facts["reason"] = f"not a media file ({_looks_like(head)})"
        return facts
    extra = general.get("extra") or {}
    durations = [_float(t.get("Duration")) for t in [general, *videos, *audios]]
    known = [d for d in durations if d is not None]
    facts.update(
        container=general.get("Format"),
        duration_s=round(known[0], 3) if known else None,
        overall_bitrate=_int(general.get("OverallBitRate")),
        title=_tag_text(general.get("Title") or general.get("Movie")),
        truncated=str(extra.get("IsTruncated", "")).lower() == "yes",
    )
    if videos:
        v = next((t for t in videos if _yes(t.get("Default"))), videos[0])
        facts["video"] = {
            "codec": v.get("Format"),
            "width": _int(v.get("Width")),
            "height": _int(v.get("Height")),
            "frame_rate": _float(v.get("FrameRate")),
            "hdr": hdr_label(v),
        }
    facts["audio"] = [
        {
            "codec": a.get("Format"),
            "channels": _int(a.get("Channels")),
            "language": _language(a.get("Language")),
            "default": _yes(a.get("Default")),
            "forced": _yes(a.get("Forced")),
        }
        for a in audios
    ]
    facts["subtitles"] = [
        {
            "format": s.get("Format"),
            "language": _language(s.get("Language")),
            "forced": _yes(s.get("Forced")),
        }
        for s in texts
    ]
    return facts


def hdr_label(video: dict[str, Any]) -> str | None:
    """A short HDR label (``Dolby Vision``, ``HDR10+``, ``HDR10``, ``HLG``, ``PQ``) or None."""
    fmt = str(video.get("HDR_Format") or "")
    compat = str(video.get("HDR_Format_Compatibility") or "")
    transfer = str(video.get("transfer_characteristics") or "")
    both = f"{fmt} / {compat}"
    if "Dolby Vision" in fmt:
        return "Dolby Vision"
    if "HDR10+" in both or "2094 App 4" in fmt:
        return "HDR10+"
    if "HDR10" in both or "2086" in fmt:
        return "HDR10"
    if "HLG" in both or "HLG" in transfer:
        return "HLG"
    if "PQ" in transfer or "2084" in transfer:
        return "PQ"
    return fmt or None


def _looks_like(head: bytes) -> str:
    start = head[:512].lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml")):
        return "looks like an HTML or XML page"
    sample = head[:4096]
    text = sample.decode("utf-8", "ignore")  # a character cut at the end is still text
    decodes = bool(text) and len(text.encode()) >= len(sample) - 3
    if decodes and all(c.isprintable() or c in "\r\n\t" for c in text):
        return "looks like text"
    return "no container recognised"


def _first(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).split("/")[0].strip()
    return text or None


def _float(value: Any) -> float | None:
    text = _first(value)
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    number = _float(value)
    return round(number) if number is not None else None


def _yes(value: Any) -> bool:
    return str(value or "").strip().lower() == "yes"


def _language(value: Any) -> str | None:
    text = _first(value)
    if text is None or text.lower() in {"und", "zxx", "mis", "mul"}:
        return None
    return text


# ---- many files, in threads, with a per-file timeout -----------------------------------------


def analyze(path: Path, timeout: float = DEFAULT_TIMEOUT_S) -> Facts:
    """The facts of one file; ``status: "timeout"`` if MediaInfo takes longer than ``timeout``."""
    for _, facts in analyze_many([path], workers=1, timeout=timeout):
        return facts
    raise AssertionError("analyze_many yields one result per path")  # pragma: no cover


def analyze_many(
    paths: Iterable[Path],
    workers: int | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    *,
    max_stalled: int | None = None,
    analyze_one: Callable[[Path], Facts] = analyze_file,
) -> Iterator[tuple[Path, Facts]]:
    """``(path, facts)`` for every path, in the order they finish.

    ``workers`` threads analyse at once. A file still unanswered after ``timeout`` seconds is
    yielded with ``status: "timeout"`` and its thread abandoned (a hung read cannot be
    interrupted; the thread is a daemon, so it never holds the process at exit); a fresh
    thread replaces it. Once ``max_stalled`` (default: ``workers``) abandoned threads are still
    stuck and no worker is left, the remaining files are yielded as ``timeout`` at once.
    """
    items = list(paths)
    n_workers = max(1, workers if workers is not None else default_workers())
    limit_stalled = max_stalled if max_stalled is not None else n_workers
    pool = _Pool(items, analyze_one)
    reported: set[int] = set()
    try:
        while len(reported) < len(items):
            now = time.monotonic()
            for index in pool.expire(now, timeout):
                if index not in reported:
                    reported.add(index)
                    yield items[index], timed_out(timeout)
            pool.top_up(n_workers, limit_stalled)
            if pool.hopeless():
                stalled = pool.stalled_count()
                for index in pool.drain():
                    reported.add(index)
                    facts = timed_out(timeout)
                    facts["reason"] = f"not analysed: {stalled} reads stalled (network share?)"
                    yield items[index], facts
                continue
            try:
                done = [pool.results.get(timeout=pool.next_wait(now, timeout))]
            except queue.Empty:
                continue
            # Take every result already there: the bookkeeping above runs once per wake-up,
            # not once per file (it dominated on files that take microseconds).
            while len(done) < _DRAIN:
                try:
                    done.append(pool.results.get_nowait())
                except queue.Empty:
                    break
            for index, facts in done:
                if index not in reported:
                    reported.add(index)
                    yield items[index], facts
    finally:
        pool.stop()


class _Pool:
    """Daemon worker threads sharing a task deque; the consumer enforces the deadlines."""

    def __init__(self, items: list[Path], analyze_one: Callable[[Path], Facts]) -> None:
        self._items = items
        self._analyze_one = analyze_one
        self._tasks: deque[int] = deque(range(len(items)))
        self._lock = threading.Lock()
        self._running: dict[int, tuple[int, float]] = {}  # worker -> (index, started)
        self._abandoned: set[int] = set()  # workers given up on, still stuck
        self._active = 0  # workers not abandoned
        self._next_id = 0
        self._stopped = False
        self.results: queue.SimpleQueue[tuple[int, Facts]] = queue.SimpleQueue()

    def top_up(self, workers: int, max_stalled: int) -> None:
        with self._lock:
            while (
                self._tasks
                and self._active < workers
                and self._active + len(self._abandoned) < workers + max_stalled
            ):
                self._active += 1
                self._next_id += 1
                threading.Thread(
                    target=self._work, args=(self._next_id,), daemon=True, name="mediainfo"
                ).start()

    def _work(self, me: int) -> None:
        while True:
            with self._lock:
                if self._stopped or not self._tasks or me in self._abandoned:
                    self._retire(me)
                    return
                index = self._tasks.popleft()
                self._running[me] = (index, time.monotonic())
            try:
                facts = self._analyze_one(self._items[index])
            except Exception as exc:
                facts = _empty("error", f"analysis failed: {exc.__class__.__name__}")
            with self._lock:
                self._running.pop(me, None)
            self.results.put((index, facts))

    def _retire(self, me: int) -> None:
        self._running.pop(me, None)
        if me in self._abandoned:
            self._abandoned.discard(me)  # came back late: its slot was already replaced
        else:
            self._active -= 1

    def expire(self, now: float, timeout: float) -> list[int]:
        with self._lock:
            late = [w for w, (_, started) in self._running.items() if now - started >= timeout]
            indexes = []
            for worker in late:
                index, _ = self._running.pop(worker)
                self._abandoned.add(worker)
                self._active -= 1
                indexes.append(index)
            return indexes

    def next_wait(self, now: float, timeout: float) -> float:
        with self._lock:
            starts = [started for _, started in self._running.values()]
        if not starts:
            return 0.05
        return max(0.001, min(starts) + timeout - now)

    def hopeless(self) -> bool:
        """Files wait, no worker is left and none may be started: every slot is stuck."""
        with self._lock:
            return bool(self._tasks) and self._active == 0 and bool(self._abandoned)

    def stalled_count(self) -> int:
        with self._lock:
            return len(self._abandoned)

    def drain(self) -> list[int]:
        with self._lock:
            left = list(self._tasks)
            self._tasks.clear()
            return left

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._tasks.clear()
