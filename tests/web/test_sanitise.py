"""HTML from a source is shown only after sanitising: nothing runs, nothing loads."""

from __future__ import annotations

import pytest

from carerecord.web.sanitise import clean

DANGEROUS = {
    "script": ("<p>Hello</p><script>alert(1)</script>", "<p>Hello</p>"),
    "event handler": ('<p onclick="alert(1)">Hello</p>', "<p>Hello</p>"),
    "img onerror": ('<img src="x" onerror="alert(1)">Hello', "Hello"),
    "javascript url": (
        '<a href="javascript:alert(1)">Hello</a>',
        '<a rel="noopener noreferrer">Hello</a>',
    ),
    "remote image": ('<img src="http://tracker.example/pixel.gif">Hello', "Hello"),
    "remote link": (
        '<a href="https://evil.example/">Hello</a>',
        '<a rel="noopener noreferrer">Hello</a>',
    ),
    "iframe": ('<iframe src="https://evil.example/"></iframe>Hello', "Hello"),
    "style element": ("<style>body { display: none }</style>Hello", "Hello"),
    "style attribute": (
        '<p style="background:url(http://evil.example/)">Hello</p>',
        "<p>Hello</p>",
    ),
    "object and embed": ('<object data="x.swf"></object><embed src="x.swf">Hello', "Hello"),
    "svg with script": ("<svg><script>alert(1)</script><circle r=1 /></svg>Hello", "Hello"),
    "form": ('<form action="https://evil.example/"><input name="q"></form>Hello', "Hello"),
    "data url": (
        '<a href="data:text/html,<script>alert(1)</script>">Hello</a>',
        '<a rel="noopener noreferrer">Hello</a>',
    ),
}


@pytest.mark.parametrize("case", list(DANGEROUS))
def test_dangerous_html_is_stripped(case: str) -> None:
    given, expected = DANGEROUS[case]
    assert clean(given) == expected


@pytest.mark.parametrize(
    "needle", ["<script", "onerror", "onclick", "javascript:", "http", "<iframe", "<style", "<svg"]
)
def test_nothing_dangerous_survives_a_mixed_document(needle: str) -> None:
    mixed = "".join(given for given, _ in DANGEROUS.values())
    assert needle not in clean(mixed).lower()


def test_in_page_anchors_and_structure_are_kept() -> None:
    html = (
        '<h2 id="plan">Plan</h2><p><a href="#plan">See plan</a></p>'
        "<ul><li><strong>A</strong></li></ul>"
    )
    assert clean(html) == (
        '<h2 id="plan">Plan</h2><p><a href="#plan" rel="noopener noreferrer">See plan</a></p>'
        "<ul><li><strong>A</strong></li></ul>"
    )


def test_text_is_escaped_not_interpreted() -> None:
    assert clean("5 &lt; 6 &amp; <b>bold</b>") == "5 &lt; 6 &amp; <b>bold</b>"
