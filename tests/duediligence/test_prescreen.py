"""Pre-screening suggests passages for criteria from HTML, text and PDF; it never scores."""

from __future__ import annotations

import pytest

from uncounted.duediligence import framework, kind_of, passages, suggest
from uncounted.errors import InvalidInput

HTML = b"""<html><head><title>x</title><style>p{}</style></head><body>
<h1>Modern slavery statement 2024</h1>
<p>This statement is made by Alpha Apparel Pty Ltd, the reporting entity.</p>
<p>We carry out due diligence on every supplier and have a remediation process.</p>
<p>Our key performance indicators measure the effectiveness of these actions.</p>
</body></html>"""


def test_html_passages_and_suggestions():
    found = passages(HTML, "html")
    assert [p.location for p in found] == ["¶1", "¶2", "¶3", "¶4"]
    table = suggest(found, framework("au-msa-2018-s16"))
    first = {r["criterion"]: r for r in reversed(table.to_dicts())}
    assert first["AU-a"]["location"] == "¶2"
    assert first["AU-d"]["location"] == "¶3"
    assert first["AU-d"]["keywords"] == "due diligence, remediation"
    assert first["AU-f"]["location"] is None  # nothing found: a reviewer must still read
    assert "score" not in table.columns


def test_text_and_kind():
    found = passages(b"First part.\n\nWe consult our subsidiaries.", "text")
    assert [p.location for p in found] == ["\u00b61", "\u00b62"]
    assert kind_of("s.PDF") == "pdf" and kind_of("s.htm") == "html" and kind_of("s.txt") == "text"
    with pytest.raises(InvalidInput, match="use pdf, html or text"):
        passages(b"", "docx")


def test_pdf_pages_are_located():
    from weasyprint import HTML as PAGE

    pdf = PAGE(string="<p>Cover</p><p style='break-before: page'>We train staff.</p>").write_pdf()
    found = passages(pdf, "pdf")
    assert [p.location for p in found] == ["p. 1 ¶1", "p. 2 ¶1"]
    table = suggest(found, framework("uk-msa-2015-s54"))
    assert table.filter(table["criterion"] == "UK-f")["location"][0] == "p. 2 ¶1"
    with pytest.raises(InvalidInput, match="PDF cannot be read"):
        passages(b"not a pdf", "pdf")
