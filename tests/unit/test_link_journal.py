"""The link journal's format: typed records, a version on every line, and the journals the
release before wrote (format 1, no version; kept as written in tests/fixtures/journals/)
read into the same records, which record the same events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from videotheque.commands.adapters.linkjournal import (
    JOURNAL_FORMAT,
    CorruptJournalError,
    Create,
    Op,
    Quarantine,
    Remove,
    Repair,
    Restore,
    Retarget,
    Track,
    read_journal,
)
from videotheque.domain.link import Link

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "journals"
EVERY_KIND = FIXTURES / "format1-every-kind.jsonl"


def events_of(link: Link) -> list[tuple[str, dict[str, Any]]]:
    """The pending events of ``link``: their class and fields, less ids and times."""
    skip = {"originator_id", "originator_version", "timestamp"}
    return [
        (type(e).__qualname__, {k: v for k, v in vars(e).items() if k not in skip})
        for e in link.collect_events()
    ]


def fresh(op_line: dict[str, Any]) -> Link:
    """A link at the state the op expects (tracked as found, its history left aside)."""
    link = Link.track(link=op_line["link"], target=op_line["before"][0], target_path=None,
                      file_id=None, run_id="r")  # fmt: skip
    link.collect_events()
    return link


def test_format_1_is_read_into_typed_records_that_record_what_it_said() -> None:
    lines = [json.loads(line) for line in EVERY_KIND.read_text(encoding="ascii").splitlines()]
    assert all("format" not in line for line in lines)  # as the release before wrote them
    ops = list(read_journal(EVERY_KIND))
    kinds = [type(op.record) for op in ops]
    assert kinds == [Repair, Quarantine, Create, Retarget, Restore, Remove, Restore]
    for op, line in zip(ops, lines, strict=True):
        # every other field as written
        assert (op.kind, op.link_id, op.link, op.version, op.paths, op.before, op.after) == (
            line["kind"], line["link_id"], line["link"], line["version"], line["paths"],
            line["before"], line["after"],
        )  # fmt: skip
        assert (op.run_id, op.tmp, op.allow_outside) == (
            line["run_id"], line["tmp"], line["allow_outside"]
        )  # fmt: skip
        if line["track"] is None:
            assert op.track is None
        else:
            assert op.track == Track(**line["track"])
            assert events_of(op.track.start()) == events_of(Link.track(**line["track"]))
        # recorded, it is the event the old journal's method and arguments made: its
        # fields (stored, never renamed) hold those arguments
        link = fresh(line)
        op.record.record(link, recovered_by="later")
        ((_, fields),) = events_of(link)
        assert fields == {**fields, **line["kwargs"], "recovered_by": "later"}


def test_each_record_is_recorded_as_its_event() -> None:
    ops = list(read_journal(EVERY_KIND))
    types = []
    for op in ops:
        link = fresh({"link": op.link, "before": op.before})
        op.record.record(link)
        ((event, fields),) = events_of(link)
        types.append(event)
        assert fields["run_id"] == op.record.run_id and fields["recovered_by"] is None
        assert op.record.reflected_in(link)
    assert types == [
        "Link.LinkRepaired", "Link.LinkQuarantined", "Link.LinkCreated", "Link.LinkRetargeted",
        "Link.LinkRestored", "Link.LinkRemoved", "Link.LinkRestored",
    ]  # fmt: skip


def test_this_release_writes_format_2_and_reads_it_back(tmp_path: Path) -> None:
    ops = list(read_journal(EVERY_KIND))
    path = tmp_path / "links-x.jsonl"
    path.write_text("".join(op.to_json() + "\n" for op in ops), encoding="ascii")
    written = [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]
    assert {line["format"] for line in written} == {JOURNAL_FORMAT} == {2}
    assert written[0]["record"] == {"type": "repair", **vars(ops[0].record)}
    assert "method" not in written[0] and "kwargs" not in written[0]
    assert list(read_journal(path)) == ops


def test_a_journal_in_a_format_this_release_does_not_know_is_not_trusted(
    tmp_path: Path,
) -> None:
    (op,) = list(read_journal(EVERY_KIND))[:1]
    line = json.loads(op.to_json())
    path = tmp_path / "links-x.jsonl"
    path.write_text(op.to_json() + "\n" + json.dumps({**line, "format": 3}) + "\n", "ascii")
    with pytest.raises(CorruptJournalError, match="format 3"):  # even on the last line
        list(read_journal(path))


def test_a_record_missing_a_field_is_a_damaged_line(tmp_path: Path) -> None:
    lines = EVERY_KIND.read_text(encoding="ascii").splitlines()
    first = json.loads(lines[0])
    del first["kwargs"]["target_path"]
    path = tmp_path / "links-x.jsonl"
    path.write_text(json.dumps(first) + "\n" + lines[1] + "\n", encoding="ascii")
    with pytest.raises(CorruptJournalError, match="line 1 is damaged"):
        list(read_journal(path))


def test_op_file_id_is_the_records() -> None:
    ops = list(read_journal(EVERY_KIND))
    assert [op.file_id for op in ops] == [
        "f" * 32, None, "b" * 32, "c" * 32, "f" * 32, None, None
    ]  # fmt: skip
    assert isinstance(ops[0], Op)
