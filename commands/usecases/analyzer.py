"""``analyze``, and the analysis of new or changed files during ``import``.

Each file's technical facts are read with MediaInfo (``commands.adapters.mediainfo``) and recorded
as an ``Analyzed`` event on its ``MediaFile``, so a later, better analysis can be recorded
again without touching the import history.

- ``import`` analyses only the files it imports (new content, or changed content at a known
  path). It starts the analysis in the background as soon as the plan is known, so it
  overlaps with name parsing, and records each ``Analyzed`` event in the same save as the
  ``Imported`` one. An import with nothing new never loads libmediainfo.
- ``analyze --missing`` (the default) reads the present files never analysed (a library
  imported before this existed, a file that timed out); ``--all`` reads every present file
  again (a newer MediaInfo).

Timeouts and unreadable paths are run errors (nothing recorded, retried next time); a file
that is not media is a fact (recorded, reported by ``check`` as unreadable media).

Settings, in config.toml::

    [media]
    analyze_on_import = true     # false: import never reads the files' content
    workers = 4                  # threads (default: 2 per core, 2 to 16)
    timeout = 60                 # seconds per file before it is reported as stalled
    languages = ["fr"]           # for the quality picture (default: the enrich language)
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from videotheque.commands.adapters.scanner import ScanError, check_root
from videotheque.commands.config import MediaSettings
from videotheque.commands.ports import Workspace
from videotheque.commands.progress import Progress
from videotheque.domain.media_facts import RECORDED_STATUSES, media_problem
from videotheque.domain.media_file import MediaFile
from videotheque.domain.paths import display
from videotheque.projections.media import analysis_targets

SAVE_EVERY = 500


def _absolute(root: str, rel: str) -> Path:
    return Path(os.path.join(root, rel))


class _Background:
    """Runs ``analyze_many`` on a thread of its own and keeps what it yields by stored path."""

    def __init__(
        self,
        root: str,
        rel_paths: list[str],
        settings: MediaSettings,
        on_done: Callable[..., None],
    ) -> None:
        self.facts: dict[str, dict[str, Any]] = {}
        self.errors: list[ScanError] = []
        self._failure: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run,
            args=(root, rel_paths, settings, on_done),
            daemon=True,
            name="media-analysis",
        )
        self._thread.start()

    def _run(
        self,
        root: str,
        rel_paths: list[str],
        settings: MediaSettings,
        on_done: Callable[..., None],
    ) -> None:
        # pymediainfo loads libmediainfo: imported when files are read, not by `import`.
        from videotheque.commands.adapters.mediainfo import analyze_many

        rel_of = {_absolute(root, rel): rel for rel in rel_paths}
        try:
            for i, (path, facts) in enumerate(
                analyze_many(rel_of, workers=settings.workers, timeout=settings.timeout), 1
            ):
                rel = rel_of[path]
                if facts["status"] in RECORDED_STATUSES:
                    self.facts[rel] = facts
                else:
                    self.errors.append(ScanError(rel, f"media analysis: {facts['reason']}"))
                on_done(i)
        except BaseException as exc:  # surfaced on the caller's thread by wait()
            self._failure = exc

    def wait(self) -> None:
        self._thread.join()
        if self._failure is not None:
            raise self._failure


class ImportAnalysis:
    """The analysis of the files one import records (see ``start_import_analysis``)."""

    def __init__(self, job: _Background, errors: list[ScanError]) -> None:
        self._job = job
        self._errors = errors
        self._done = False
        self.recorded = 0
        self.unreadable = 0

    def record(self, aggregate: MediaFile, path: str, run_id: str) -> None:
        """Add the ``Analyzed`` event of the file just imported at ``path`` (waits for the
        analysis the first time)."""
        if not self._done:
            self._job.wait()
            self._errors.extend(self._job.errors)
            self._done = True
        facts = self._job.facts.get(path)
        if facts is None:
            return
        aggregate.record_analysis(path, facts, run_id)
        self.recorded += 1
        self.unreadable += media_problem(facts) is not None


def start_import_analysis(
    session: Workspace,
    root: str,
    rel_paths: Iterable[str],
    errors: list[ScanError],
    progress: Progress,
    on_done: Callable[..., None] | None = None,
) -> ImportAnalysis | None:
    """Start reading the files an import is about to record, in the background.

    None (and no thread, no libmediainfo) when there is nothing to read or the library
    says ``analyze_on_import = false``. Timeouts and read errors join ``errors``.
    """
    paths = list(rel_paths)
    settings = session.config.media
    if not paths or not settings.on_import:
        return None
    task = on_done or progress.task("analyze", total=len(paths))
    return ImportAnalysis(_Background(root, paths, settings, task), errors)


# ---- the `analyze` command ------------------------------------------------------------------


@dataclass
class AnalyzeReport:
    run_id: str | None
    targets: int
    everything: bool
    dry_run: bool = False
    by_status: Counter[str] = field(default_factory=Counter)
    unreadable_media: list[dict[str, str]] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    events: int = 0
    mediainfo_version: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "mode": "all" if self.everything else "missing",
            "targets": self.targets,
            "analyzed": sum(self.by_status.values()),
            "by_status": dict(sorted(self.by_status.items())),
            "unreadable_media": self.unreadable_media,
            "errors": [e.as_json() for e in self.errors],
            "mediainfo_version": self.mediainfo_version,
            "dry_run": self.dry_run,
            "events": self.events,
        }

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "targets": self.targets,
            "analyzed": sum(self.by_status.values()),
            **{k: v for k, v in sorted(self.by_status.items())},
            "unreadable_media": len(self.unreadable_media),
            "errors": len(self.errors),
            "events": self.events,
        }


def analyze_library(
    session: Workspace,
    *,
    everything: bool = False,
    dry_run: bool = False,
    workers: int | None = None,
    timeout: float | None = None,
    progress: Progress | None = None,
    arguments: dict[str, Any] | None = None,
    analyze_one: Callable[[Path], dict[str, Any]] | None = None,
) -> AnalyzeReport:
    """Analyse the present files never analysed (or all of them) and record the facts.
    ``analyze_one``: what reads one file (MediaInfo by default; tests give a fake)."""
    # pymediainfo loads libmediainfo: imported when files are read, not by `import`.
    from videotheque.commands.adapters.mediainfo import (
        analyze_file,
        analyze_many,
        mediainfo_version,
    )

    config = session.config
    assert config.storage is not None
    settings = config.media
    root = os.fsdecode(os.path.abspath(os.fsencode(config.storage)))
    with session.read() as con:
        targets = analysis_targets(con, everything)
    report = AnalyzeReport(None, len(targets), everything, dry_run)
    if dry_run or not targets:
        return report
    check_root(root)
    progress = progress or Progress(None)
    report.mediainfo_version = mediainfo_version()
    run = session.start_run("analyze", arguments or {"all": everything})
    report.run_id = run.run_id
    file_of = {_absolute(root, rel): (fid, rel) for fid, rel in targets}
    pending: list[MediaFile] = []
    task = progress.task("analyze", total=len(targets))
    try:
        for i, (path, facts) in enumerate(
            analyze_many(
                file_of,
                workers=workers or settings.workers,
                timeout=timeout or settings.timeout,
                analyze_one=analyze_one or analyze_file,
            ),
            1,
        ):
            fid, rel = file_of[path]
            task(i)
            if facts["status"] not in RECORDED_STATUSES:
                report.errors.append(ScanError(rel, f"media analysis: {facts['reason']}"))
                continue
            aggregate: MediaFile = session.get(UUID(fid))
            aggregate.record_analysis(rel, facts, run.run_id)
            pending.append(aggregate)
            report.by_status[facts["status"]] += 1
            problem = media_problem(facts)
            if problem is not None:
                report.unreadable_media.append({"path": display(rel), "reason": problem})
            if len(pending) >= SAVE_EVERY:
                report.events += session.save_all(pending)
                pending = []
    finally:
        # What was read before an interruption is kept: the next run skips it.
        if pending:
            report.events += session.save_all(pending)
    report.unreadable_media.sort(key=lambda u: u["path"])
    report.errors.sort(key=lambda e: e.path)
    exit_code = 1 if report.errors or report.unreadable_media else 0
    session.finish_run(report.summary, exit_code)
    session.catch_up()
    return report


def media_lines(summary: dict[str, Any]) -> list[str]:
    """The quality picture of ``projections.media.media_summary`` in a few lines."""
    if not summary.get("analyzed") and not summary.get("not_analyzed"):
        return []

    def spread(key: str) -> str:
        return ", ".join(f"{d['value']} {d['files']}" for d in summary[key]) or "-"

    statuses = ", ".join(f"{n} {k}" for k, n in summary["by_status"].items())
    lines = [
        f"media: {summary['analyzed']} analysed ({statuses or 'none'}), "
        f"{summary['not_analyzed']} not yet (`videotheque analyze`); "
        f"{summary['total_hours']:,.1f} hours",
        f"  resolutions: {spread('resolutions')}; video codecs: {spread('video_codecs')}"
        + (f"; HDR: {spread('hdr')}" if summary["hdr"] else ""),
    ]
    languages = "/".join(summary["languages"]) or "-"
    lines.append(
        f"  films without {languages} audio: {summary['movies_without_audio_language']} "
        f"({summary['movies_without_audio_or_subtitle_language']} without subtitles either)"
    )
    if summary["unreadable_media"]:
        lines.append(f"  unreadable media: {summary['unreadable_media']} (see `videotheque check`)")
    return lines
