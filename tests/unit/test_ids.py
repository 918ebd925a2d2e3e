"""Deterministic identities: the same content or link path gives the same id everywhere."""

from __future__ import annotations

from uuid import UUID, uuid5

from hypothesis import given, settings
from hypothesis import strategies as st

from videotheque.domain.ids import NAMESPACE, file_id, file_id_text, link_id


@settings(max_examples=300, derandomize=True)
@given(st.text())
def test_the_fast_file_id_text_is_the_uuid5(fingerprint: str) -> None:
    expected = uuid5(NAMESPACE, "file:" + fingerprint)
    assert file_id(fingerprint) == expected
    assert file_id_text(fingerprint) == str(expected)
    assert UUID(file_id_text(fingerprint)).version == 5


def test_a_utf8_link_id_is_the_uuid5_of_its_path() -> None:
    assert link_id("Films/Amélie (2001).mkv") == uuid5(NAMESPACE, "link:Films/Amélie (2001).mkv")
