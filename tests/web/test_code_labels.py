"""The labels of the code lists (``domain/codes.yaml``) in the reader's language: every label
has a draft translation in each catalogue (its list as the message context), a Thai reader
sees Thai choices and labels, and the codes themselves (form values, JSON, stored values)
never change."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from uncounted.domain.codes import code_list, code_list_names
from uncounted.web.filters import code_label
from uncounted.web.i18n import code_label_in, locale_dir

from .conftest import sign_in


@pytest.mark.parametrize("language", ["fil", "km", "th"])
def test_every_code_label_has_a_translation(language):
    path = locale_dir() / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        entries = {(m.context, m.id): m.string for m in read_po(handle) if m.context}
    missing = [
        (name, code)
        for name in code_list_names()
        for code, label in code_list(name).labels.items()
        if not str(entries.get((name, label)) or "").strip()
    ]
    assert not missing, f"{language}: no translation for {missing[:5]}; run `make messages`"


def test_a_label_is_translated_for_its_list():
    assert code_label_in("th", "cas_Status", "Active") == "ดำเนินการอยู่"
    assert code_label_in("th", "case_role", "victim") == "ผู้เสียหาย"
    # one English word, two lists, two translations
    assert code_label_in("fil", "vic_MethodOfRecruitment", "Shelter") == "Kanlungan (shelter)"
    assert code_label_in("fil", "support_plan_type", "Shelter") == "Tirahan (shelter)"
    assert code_label_in("en", "cas_Status", "ClosedReferred") == "Closed (referred)"
    assert code_label_in("th", "cas_Status", "NoSuchCode") == "NoSuchCode"
    shown = str(code_label("SexualExploitation", "vic_TypeOfExploitation", "th"))
    assert shown == '<abbr title="code: SexualExploitation">การแสวงประโยชน์ทางเพศ</abbr>'


def _option(html: str, code: str) -> str:
    found = re.search(rf'<option value="{re.escape(code)}"\s*(?:selected)?>([^<]*)</option>', html)
    assert found, code
    return found.group(1)


def test_a_thai_caseworker_reads_thai_choices_and_codes_stay_codes(app, demo):
    client = TestClient(app, headers={"Accept-Language": "th-TH,th;q=0.9"})
    assert sign_in(client, "caseworker").status_code == 303
    form = client.get("/cases/new").text
    assert _option(form, "Active") == "ดำเนินการอยู่"
    assert _option(form, "SexualExploitation") == "การแสวงประโยชน์ทางเพศ"
    assert "Sexual exploitation" not in form
    listing = client.get("/cases").text  # the filters of the case list
    assert _option(listing, "ClosedReferred") == "ปิดแล้ว (ส่งต่อแล้ว)"
    case = client.get(f"/cases/{demo.own_case}").text
    status = client.get(f"/api/cases/{demo.own_case}").json()["case"]["status"]
    assert status in code_list("cas_Status")  # the JSON twin keeps the code
    label = code_label_in("th", "cas_Status", status)
    assert f'<abbr title="code: {status}">{label}</abbr>' in case
    person_form = client.get(f"/cases/{demo.own_case}/persons/new").text
    assert _option(person_form, "victim") == "ผู้เสียหาย"
    assert _option(person_form, "Female") == "หญิง"
    spec = client.get("/api/cases/new").json()
    status_field = next(f for f in spec["fields"] if f["name"] == "status")
    assert ["Active", "Active"] in status_field["options"]  # JSON: codes and English labels
    assert status_field["code_list"] == "cas_Status"


def test_a_thai_analysts_csv_keeps_the_codes(app):
    client = TestClient(app, headers={"Accept-Language": "th"})
    assert sign_in(client, "analyst").status_code == 303
    page = client.get("/indicators?by=exploitation_type").text
    assert "การแสวงประโยชน์ทางเพศ" in page  # the page shows the label
    csv = client.get("/indicators.csv?by=exploitation_type")
    assert csv.status_code == 200 and "SexualExploitation" in csv.text
    assert "การแสวงประโยชน์" not in csv.text and "Sexual exploitation" not in csv.text
