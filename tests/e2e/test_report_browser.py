"""The HTML report opened in headless Chromium (Debian's ``chromium``; .ci/run installs it).

It must render with no console error, no failed or outside request, show every section,
keep hostile file names as text (no script runs, no element is injected), fit a phone's
width, and print. Skipped (with the reason) where Chromium is not installed; CI fails instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import browser
from tests.report_story import NEWLINE, SCRIPT, Story, story  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

SECTIONS = {
    "overview": "Overview",
    "activity": "Activity",
    "runs": "Runs",
    "files": "Imports and moves",
    "enrichments": "Enrichments",
    "queue": "Validation queue",
    "links": "Repairs, quarantines and undos",
    "integrity": "Latest integrity findings",
}


@pytest.fixture(scope="module")
def html(story: Story, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    browser.require_chromium()
    out = tmp_path_factory.mktemp("html") / "audit.html"
    result = story.lib.cli("report", "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def desktop(html: Path) -> Iterator[browser.Page]:
    with browser.open_page(html, browser.DESKTOP) as page:
        yield page


def test_the_harness_sees_errors(tmp_path: Path) -> None:
    """A page that logs an error, throws and loads a missing file is caught: the clean
    result below cannot come from a harness that sees nothing."""
    browser.require_chromium()
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><img src='missing.png'><script>console.error('boom');null.x</script>",
        encoding="utf-8",
    )
    with browser.open_page(bad) as page:
        errors = " | ".join(page.errors)
    assert "console.error: boom" in errors
    assert "exception" in errors
    assert "ERR_FILE_NOT_FOUND" in errors


def test_renders_without_any_error(desktop: browser.Page) -> None:
    assert desktop.errors == []
    assert desktop.evaluate("document.title").startswith("Videotheque audit report")


def test_shows_every_section(desktop: browser.Page) -> None:
    found = desktop.evaluate(
        "Object.fromEntries([...document.querySelectorAll('section')]"
        ".map(s => [s.id, s.querySelector('h2').innerText]))"
    )
    assert found == SECTIONS
    # The charts are drawn: bars for the event rows and the check runs.
    bars = desktop.evaluate("document.querySelectorAll('svg.chart rect').length")
    assert bars >= 8
    visible = desktop.evaluate(
        "[...document.querySelectorAll('section')].every(s => s.offsetHeight > 40)"
    )
    assert visible


def test_hostile_names_are_text(desktop: browser.Page) -> None:
    assert desktop.evaluate("document.querySelectorAll('script').length") == 0
    # The link named <img src=x onerror=...> and the <b>Bold</b> title stay text.
    assert desktop.evaluate("document.querySelectorAll('img, section b b').length") == 0
    text = desktop.evaluate("document.body.innerText")
    assert SCRIPT in text
    assert "Films/<img src=x onerror=alert(2)>.mkv" in text
    assert "<b>Bold</b> | title (2001)" in text
    assert "Films/Quote \"double\" & 'single' (1999).mkv" in text
    assert "Films/Pipe | and `backtick` (2004).mkv" in text
    assert NEWLINE.replace("\n", "␊") in text
    assert "Films/Caf\ufffd Noir (1990).mkv" in text  # a non-UTF-8 byte, shown as U+FFFD


def test_self_contained(html: Path, desktop: browser.Page) -> None:
    resources = desktop.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
    assert resources == []
    hrefs = desktop.evaluate(
        "[...document.querySelectorAll('[href]')].map(a => a.getAttribute('href'))"
    )
    assert hrefs and all(h.startswith("#") for h in hrefs)
    source = html.read_text(encoding="utf-8")
    assert not re.search(r"<script|<link|<img|<iframe|<object", source, re.IGNORECASE)
    assert not re.search(r"<[a-zA-Z][^<>]*\ssrc\s*=", source)  # no src attribute in a tag
    style = source[source.index("<style>") : source.index("</style>")]
    assert "url(" not in style and "@import" not in style


def test_fits_a_phone(html: Path) -> None:
    with browser.open_page(html, browser.PHONE) as page:
        assert page.errors == []
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the page is wider than the phone: {width}"
        # Wide tables turn into labelled cards; text stays readable.
        heads = page.evaluate(
            "[...document.querySelectorAll('table.stack thead')]"
            ".map(t => getComputedStyle(t).display)"
        )
        assert heads and set(heads) == {"none"}
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 13


def test_prints(html: Path) -> None:
    with browser.open_page(html, browser.DESKTOP) as page:
        page.send("Emulation.setEmulatedMedia", {"media": "print"})
        assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
        pdf = page.print_pdf()
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 2  # several pages
