"""The web app's text goes through the catalogues: no visible template text outside ``_()`` or
``{% trans %}``, the catalogues parse, and they hold exactly the text marked in the source (run
``make messages`` when this fails)."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from uncounted.web.i18n import catalogues, locale_dir

WEB = Path(__file__).resolve().parents[2] / "src" / "uncounted" / "web"
TEMPLATES = WEB / "templates"
ROOT = WEB.parents[2]

#: Templates whose text is not wrapped yet (English only): wrap them and take them off the list.
NOT_YET_WRAPPED: frozenset[str] = frozenset()

#: Text that stays as it is in every language.
NOT_TRANSLATED = frozenset({"Uncounted"})

_TAG = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->|<[^>]*>", re.S)
_ATTRIBUTE_TEXT = re.compile(r'\b(?:title|aria-label|placeholder|alt)="([^"\x00]*)"')
_LETTER = re.compile(r"[^\W\d_]")
_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")


def unwrapped_text(source: str) -> list[str]:
    """Visible text of a template outside ``_()``/``{% trans %}``, with a letter in it.

    The template is lexed by Jinja; every expression and tag becomes a neutral mark, the
    content of ``{% trans %}`` blocks is dropped, and what is left is HTML: its tags, comments,
    scripts and entities are removed, leaving the text a reader sees. ``title``,
    ``aria-label``, ``placeholder`` and ``alt`` attributes written as plain text count too.
    Names that are not translated (the product's) are allowed.
    """
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    parts: list[str] = []
    in_trans = False
    previous = ""
    for _line, kind, value in env.lex(source):
        if kind == "whitespace":
            continue
        if kind == "name" and previous == "block_begin" and value in ("trans", "endtrans"):
            in_trans = value == "trans"
        previous = kind
        parts.append(value if kind == "data" and not in_trans else "\x00")
    html = "".join(parts)
    found = [a for a in _ATTRIBUTE_TEXT.findall(html) if _LETTER.search(a)]
    text = _ENTITY.sub(" ", _TAG.sub("\n", html))
    for piece in re.split(r"[\n\x00]+", text):
        piece = piece.strip()
        if _LETTER.search(piece) and piece.strip(" ·—") not in NOT_TRANSLATED:
            found.append(piece)
    return found


def test_the_check_finds_unwrapped_text():
    assert unwrapped_text('<p>Hello <a title="Go" href="/{{ x }}/e">{{ x }}</a></p>') == [
        "Go",
        "Hello",
    ]
    assert unwrapped_text('<p>{{ _("Hello") }} · {% trans %}Hi {{ x }}{% endtrans %}</p>') == []


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_every_template_text_is_wrapped(template):
    if template in NOT_YET_WRAPPED:
        pytest.skip("listed in NOT_YET_WRAPPED")
    left = unwrapped_text((TEMPLATES / template).read_text(encoding="utf-8"))
    assert not left, (
        f"{template} shows text not marked for translation: {left}. Wrap it in "
        '{{ _("...") }} or {% trans %}...{% endtrans %}, then run `make messages`.'
    )


def _source_ids() -> set[tuple[str | None, str]]:
    """The messages (context, id) `make messages` would extract (the sections of babel.cfg:
    templates, web/*.py, the library's interval sentences and the code lists' labels)."""
    config = (ROOT / "babel.cfg").read_text()
    sections = re.findall(r"^\[(\w+):\s*(\S+)\]", config, re.M)
    extractors = dict(re.findall(r"^(\w+)\s*=\s*(\S+:\w+)\s*$", config, re.M))
    method_map = [(pattern, extractors.get(method, method)) for method, pattern in sections]
    assert ("src/uncounted/web/**.py", "python") in method_map
    assert ("src/uncounted/domain/codes.yaml", "uncounted.web.i18n:extract_code_labels") in (
        method_map
    )
    ids: set[tuple[str | None, str]] = set()
    # the keywords of `make messages`: N_() and the form field labels of web/forms.py, and
    # pgettext (the code lists' labels, their list as context)
    keywords = {"_": None, "gettext": None, "N_": None, "_from_rule": (3,), "_id": (2,),
                "pgettext": ((1, "c"), 2)}  # fmt: skip
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        ids.add((context, message if isinstance(message, str) else message[0]))
    return ids


def _catalogue_ids(path: Path) -> set[tuple[str | None, str]]:
    with path.open("rb") as handle:
        return {(m.context, m.id) for m in read_po(handle) if m.id and isinstance(m.id, str)}


def test_catalogues_are_up_to_date_with_the_source():
    source = _source_ids()
    assert (None, "Sign in") in source and (None, "Dashboard") in source  # templates, NAV
    assert ("cas_Status", "Closed (referred)") in source  # the code lists' labels
    catalogue_files = [locale_dir() / "messages.pot", *locale_dir().glob("*/LC_MESSAGES/*.po")]
    for path in catalogue_files:
        ids = _catalogue_ids(path)
        assert ids == source, (
            f"{path.relative_to(ROOT)} is out of date with the text of the pages: run "
            f"`make messages` (new: {sorted(source - ids)[:5]}, gone: {sorted(ids - source)[:5]})"
        )


def test_catalogues_are_drafts_with_matching_placeholders():
    """Every translation keeps its placeholders (``%(name)s``), so no page fails to render;
    and every catalogue says it is a draft for native speakers to review."""
    placeholder = re.compile(r"%\(\w+\)s")
    assert {"en", "fil", "km", "th"} <= set(catalogues())
    for language in ("fil", "km", "th"):
        path = locale_dir() / language / "LC_MESSAGES" / "messages.po"
        text = path.read_text(encoding="utf-8")
        assert "DRAFT FOR REVIEW BY NATIVE SPEAKERS" in text
        with path.open("rb") as handle:
            catalogue = read_po(handle)
        translated = [m for m in catalogue if m.id and m.string]
        assert len(translated) >= 50, path
        for m in translated:
            assert sorted(placeholder.findall(str(m.id))) == sorted(
                placeholder.findall(str(m.string))
            ), (path, m.id)
