"""The web app's languages: gettext catalogues read from ``web/locale`` and chosen per request.

Catalogues are the ``.po`` files themselves (``locale/<lang>/LC_MESSAGES/messages.po``), read
with Babel at start-up, so a fresh clone needs no compile step. English is the source text:
a string missing from a catalogue (or empty there) falls back to English.

The language of a page is the signed-in user's (``users.language``, chosen on ``/account``
or by an administrator); signed out, the browser's ``Accept-Language`` when a catalogue exists
for it; English otherwise. ``make messages`` re-extracts the text marked in templates
(``{{ _("...") }}``, ``{% trans %}``) and in Python (:func:`N_`) and updates the catalogues.

The labels of the code lists (``domain/codes.yaml``: statuses, types of exploitation, roles…)
are in the catalogues too, extracted by :func:`extract_code_labels` with the list's name as
the message context (``msgctxt "cas_Status"``), so one English word of two lists ("Other",
"Shelter") can be translated for each. Only the label shown is translated
(:func:`code_label_in`): forms, filters, exports and the database keep the codes.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import IO, Any

import yaml
from babel import Locale
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from starlette.requests import Request

from uncounted._i18n import N_
from uncounted.domain.codes import code_list

#: The language of the source text.
DEFAULT_LANGUAGE = "en"


def locale_dir() -> Path:
    """The folder of the catalogues, ``web/locale``."""
    return Path(str(resources.files("uncounted.web").joinpath("locale")))


def _key(context: str | None, message: str) -> str:
    """A message's key in a gettext catalogue: ``context\x04message`` with a context
    (what ``pgettext`` looks up), the message alone without."""
    return f"{context}\x04{message}" if context else message


@functools.cache
def catalogues() -> Mapping[str, NullTranslations]:
    """Every language with a catalogue, English (the source) included, read once."""
    found: dict[str, NullTranslations] = {DEFAULT_LANGUAGE: NullTranslations()}
    for po in sorted(locale_dir().glob("*/LC_MESSAGES/messages.po")):
        language = po.parent.parent.name
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        translations = Translations()
        # the catalogue's own entries; empty translations are left out, so English shows
        translations._catalog = {
            _key(message.context, message.id): message.string
            for message in catalog
            if message.id and message.string and not message.fuzzy
            and isinstance(message.id, str) and isinstance(message.string, str)
        }  # fmt: skip
        translations.plural = lambda n: int(n != 1)
        found[language] = translations
    return found


def languages() -> list[tuple[str, str]]:
    """``(code, name)`` of every available language, the name in that language (for menus)."""
    return [(code, language_name(code)) for code in sorted(catalogues())]


def language_name(code: str) -> str:
    """The language's name in itself (``th`` -> "ไทย")."""
    try:
        return str(Locale.parse(code).get_display_name(code) or code)
    except (ValueError, LookupError):
        return code


def supported(code: str | None) -> str | None:
    """``code`` if a catalogue exists for it (``th-TH`` counts as ``th``), else ``None``."""
    if not code:
        return None
    code = code.strip().replace("_", "-").lower()
    available = catalogues()
    if code in available:
        return code
    base = code.split("-")[0]
    if base == "tl":  # Tagalog browsers: Filipino is its standard form
        base = "fil"
    return base if base in available else None


def from_accept_language(header: str | None) -> str:
    """The first language of an ``Accept-Language`` header (by quality) with a catalogue, or
    English (RFC 9110 §12.5.4)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, i, tag))
    for _q, _i, tag in sorted(ranked):
        found = supported(tag)
        if found:
            return found
    return DEFAULT_LANGUAGE


def request_language(request: Request, user_language: str | None = None) -> str:
    """The language of a page: the user's own choice, else the browser's, else English."""
    return supported(user_language) or from_accept_language(request.headers.get("accept-language"))


def page_language(context: Context | Mapping[str, Any]) -> str:
    """The language of the page being rendered (kept on the request once worked out)."""
    request = context.get("request")
    me = context.get("me")
    chosen = getattr(me, "language", None)
    if request is None:
        return supported(chosen) or DEFAULT_LANGUAGE
    cached = getattr(request.state, "language", None)
    if cached is None:
        cached = request_language(request, chosen)
        request.state.language = cached
    return str(cached)


def translations_for(language: str) -> NullTranslations:
    """The catalogue of ``language`` (English for a language without one)."""
    return catalogues().get(language) or catalogues()[DEFAULT_LANGUAGE]


def gettext_in(language: str, message: str) -> str:
    """``message`` in ``language`` (English when not translated)."""
    return translations_for(language).gettext(message)


def code_label_in(language: str, list_name: str, code: object) -> str:
    """The label of ``code`` of the code list ``list_name`` in ``language`` (English when not
    translated); a value that is not a code of the list, as it is."""
    text = "" if code is None else str(code)
    codes = code_list(list_name)
    if text not in codes:
        return text
    return str(translations_for(language).pgettext(list_name, codes.labels[text]))


def extract_code_labels(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: dict[str, Any],
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel extractor (``babel.cfg``) of ``domain/codes.yaml``: each label as a message
    whose context is its list's name, with the code as a comment for translators."""
    root = yaml.compose(fileobj.read().decode("utf-8"))
    if not isinstance(root, yaml.MappingNode):
        return
    for list_node, items in root.value:
        if not isinstance(items, yaml.MappingNode):
            continue
        for code_node, label_node in items.value:
            yield (
                label_node.start_mark.line + 1,
                "pgettext",
                (str(list_node.value), str(label_node.value)),
                [f"code {code_node.value} of {list_node.value}"],
            )


@pass_context
def _gettext(context: Context, message: str) -> str:
    return gettext_in(page_language(context), message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations_for(page_language(context)).ngettext(singular, plural, n)


@pass_context
def _translate_text(context: Context, message: object) -> str:
    """A message known only when the page is rendered (an error sentence, a navigation label
    marked with :func:`N_`) in the page's language, as plain text: unlike ``_()``, whose result
    is trusted markup, the page escapes it, so text that quotes what someone typed is safe."""
    text = str(message) if message is not None else ""
    return str(gettext_in(page_language(context), text)) if text else ""


@pass_context
def _page_lang(context: Context) -> str:
    return page_language(context)


def install_translations(env: Environment) -> None:
    """Translate ``_()``/``{% trans %}`` per page: Jinja's newstyle gettext calls our
    context-aware functions, so each page is rendered in its reader's language. ``tr(value)``
    translates a message held in a variable (escaped as any value); ``page_lang()`` gives the
    language for ``<html lang>``."""
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["tr"] = _translate_text
    env.globals["page_lang"] = _page_lang


__all__ = [
    "DEFAULT_LANGUAGE",
    "N_",
    "catalogues",
    "code_label_in",
    "extract_code_labels",
    "from_accept_language",
    "gettext_in",
    "install_translations",
    "language_name",
    "languages",
    "locale_dir",
    "page_language",
    "request_language",
    "supported",
    "translations_for",
]
