"""Precision and recall of `enrich`'s matching on the labelled set, through the fake server."""

from __future__ import annotations

import collections

from tests.matching_eval import evaluate, load_set


def test_the_set_is_large_and_covers_the_hard_cases() -> None:
    data = load_set()
    cases = data["cases"]
    tags = collections.Counter(t for c in cases for t in c["tags"])
    assert len(cases) >= 150
    for tag in ("remake", "french_title", "no_year", "series", "negative", "year_off_by_one"):
        assert tags[tag] >= 5, tag
    real = [f for f in data["catalogue"]["films"] if not f.get("synthetic")]
    assert len({f["tmdb_id"] for f in real}) == len(real)


def test_precision_and_recall_end_to_end() -> None:
    report = evaluate()
    print("\n" + report.summary())
    for tag, (answers, right, wrong) in report.by_tag().items():
        print(f"  {tag:34} answers={answers:3} right={right:3} wrong={wrong}")
    # A wrong match is worse than no match: nothing may be accepted wrongly.
    assert report.wrong() == [], [(o.path, o.got) for o in report.wrong()]
    assert report.precision == 1.0
    assert report.recall >= 0.95
    # Every case the providers do not have is queued or unmatched, never accepted.
    assert not [o for o in report.outcomes if o.expect is None and o.accepted]
