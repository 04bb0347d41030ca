"""Markdown is rendered and sanitised: no scripts, event handlers or javascript: links survive."""

import pytest

from participate.markup import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payloads_are_neutralised(payload):
    html = render_markdown(payload).lower()
    for bad in (
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "<iframe",
        "<svg",
        "style=",
        "data:text",
    ):
        assert bad not in html, (payload, html)


def test_ordinary_markdown_survives():
    html = render_markdown("# Title\n\nSome **bold** and a [link](https://nhs.uk).\n\n- one\n- two")
    assert "<h2>Title</h2>" in html  # page keeps the only h1
    assert "<strong>bold</strong>" in html
    assert 'href="https://nhs.uk"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<li>one</li>" in html
