"""The template filters: codes as labels with the code as a tooltip, lists joined, values
that are not codes left as they are (escaped)."""

from __future__ import annotations

from uncounted.web.filters import code_label


def test_a_code_is_shown_by_its_label() -> None:
    shown = str(code_label("SexualExploitation", "vic_TypeOfExploitation"))
    assert shown == '<abbr title="code: SexualExploitation">Sexual exploitation</abbr>'


def test_lists_missing_values_and_unknown_values() -> None:
    both = str(code_label(["ForcedLabour", "Other"], "vic_TypeOfExploitation"))
    assert both.count("<abbr") == 2 and "Forced labour" in both and ", " in both
    assert code_label(None, "prs_Gender") == "" and code_label("", "prs_Gender") == ""
    assert code_label("<b>x</b>", "prs_Gender") == "<b>x</b>"  # plain text: Jinja escapes it
