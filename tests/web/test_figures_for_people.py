"""Figures on the pages read as people write them: counts with thousands separators,
proportions as percentages, each interval explained, and a figure without an interval says
why."""

from __future__ import annotations

import re


def test_indicator_figures_are_formatted(clients):
    page = clients["viewer"].get("/indicators").text
    assert not re.search(r"\d\.\d+e[+-]\d", page)  # no 1.32e+03
    assert re.search(r"\d{1,3}(,\d{3})+", page) or re.search(r">\d{1,3}<", page)
    assert re.search(r"\d+\.\d%", page)  # proportions as percentages
    assert "The 95% interval is the range of values" in page


def test_a_figure_without_an_interval_says_why(clients):
    rows = clients["viewer"].get("/api/indicators").json()["indicators"]
    j1 = next(r for r in rows if r["indicator"] == "J1")
    assert j1["lower"] is None and "count of the records" in j1["no_interval"]
    assert all(r.get("no_interval") is None for r in rows if r["lower"] is not None)
    page = clients["viewer"].get("/indicators").text
    assert 'title="a count of the records themselves' in page


def test_the_survivor_history_says_yes_or_not_yet(clients, demo):
    page = clients["caseworker"].get(f"/survivors/{demo.survivor}").text
    history = page.split("<th>Restored</th>", 1)[1]
    assert ">True<" not in history and ">False<" not in history
    assert ">yes<" in history or ">not yet<" in history or ">unknown<" in history


def test_codes_are_shown_by_their_labels(clients, demo):
    import re

    from uncounted.domain.codes import code_list

    page = clients["caseworker"].get(f"/cases/{demo.own_case}").text
    visible = re.sub(r'title="[^"]*"', "", page)  # the codes stay in the tooltips only
    for list_name in ("vic_TypeOfExploitation", "prs_Gender", "case_role"):
        codes = code_list(list_name)
        for code, label in codes.labels.items():
            if code != label and f">{code}<" in visible:
                raise AssertionError(f"{code} shown raw instead of {label!r}")
    assert 'title="code: ' in page
    assert "given_name:" not in page and "family_name:" not in page
    listing = re.sub(r'title="[^"]*"', "", clients["caseworker"].get("/cases").text)
    assert ">SexualExploitation<" not in listing and ">ForcedLabour<" not in listing


def test_disaggregations_by_code_show_labels(clients):
    import re

    page = clients["viewer"].get("/indicators?by=exploitation_type&counts_by=sex").text
    visible = re.sub(r'title="[^"]*"', "", page)
    assert ">SexualExploitation<" not in visible and ">ForcedLabour<" not in visible
    assert "Forced labour" in visible or "Sexual exploitation" in visible


def test_dashboard_headlines_explain_their_intervals_and_link_their_measures(clients):
    page = clients["viewer"].get("/").text
    table = page.split('id="headlines"', 1)[1].split("</table>", 1)[0]
    for metric_id in ("J1", "J3", "J5", "J7", "J10"):
        assert f'<a href="/metrics/{metric_id}">{metric_id} ' in table
    assert "Wilson interval: the shares consistent with these counts." in table
    assert "Greenwood log−log interval of the Kaplan–Meier estimate" in table
    assert "No interval: a count of the records themselves" in table
    assert "The 95% interval in brackets is the range of values" in page
    assert re.search(r'data-headline="J3 arrest rate[^"]*">\d+\.\d% \(\d+\.\d%–\d+\.\d%\)<', table)
    assert re.search(r'data-headline="J10 median days[^"]*">\d+ days \(\d+–\d+\)<', table)
    figures = clients["viewer"].get("/api/").json()["headline_figures"]
    j3 = next(f for f in figures if f["metric"] == "J3")
    assert j3["method"] == "wilson" and j3["lower"] < j3["value"] < j3["upper"]
    assert not re.search(r'class="value">\d{4,}<', page)  # totals have separators


def test_indicator_intervals_say_their_method(clients):
    page = clients["viewer"].get("/indicators").text
    assert '<abbr title="Wilson interval: the shares consistent with these counts.">' in page
    assert '<a href="/metrics/J3">J3</a>' in page


def test_metric_pages_explain_their_interval(clients):
    page = clients["viewer"].get("/metrics/J5").text
    assert 'data-interval="J5">Wilson interval: the shares consistent' in page
    page = clients["viewer"].get("/metrics/J6").text
    assert 'data-interval="J6">None (a ratio of two counts' in page


def test_prevalence_intervals_are_explained_and_formatted(clients):
    import html

    from uncounted.report.intervals import explain_interval

    viewer = clients["viewer"]
    lists = viewer.get("/api/prevalence").json()["available_lists"]
    query = "/prevalence?" + "&".join(f"lists={x}" for x in lists[:3])
    panel = viewer.get(query).text
    assert "Profile-likelihood interval: the totals whose likelihood" in panel
    assert "Credible interval (Bayesian): the totals holding most" in panel
    assert "a credible interval (Bayesian) holds the totals" in panel
    assert not re.search(r">\d{4,}<", panel.split('id="prevalence-panel"', 1)[1])
    query = "/prevalence?" + "&".join(f"lists={x}" for x in lists[:2]) + "&method=chapman"
    one = viewer.get(query).text
    observed = viewer.get("/api" + query).json()["result"]
    explained = html.unescape(one.split('data-interval="estimate">', 1)[1].split("<", 1)[0])
    assert explained == explain_interval(observed["ci_method"])
    assert observed["ci_method"] not in explained  # a sentence, not the method's code
    assert f'data-result="observed">{observed["observed"]:,}<' in one


def test_survivor_scores_are_formatted(clients, demo):
    page = clients["caseworker"].get(f"/survivors/{demo.survivor}").text
    history = page.split("<th>Restored</th>", 1)[1]
    assert re.search(r'class="num">\d\.\d\d<', history)


def test_linked_estimate_intervals_are_explained(clients, app, monkeypatch, tmp_path):
    """The three intervals of an estimate from linked records (at the threshold, linkage only,
    total) each say what they are; the linkage itself is stood in for (its computation is
    tested in tests/linkage)."""
    from types import SimpleNamespace

    from uncounted.web.routes import prevalence

    fake = {
        "threshold": 0.9,
        "records": 12345,
        "individuals": 10001,
        "estimate": 4200.4,
        "ci_low": 4000.0,
        "ci_high": 4500.0,
        "detail": {"ci_method": "profile"},
        "linkage_uncertainty": {
            "estimate": 4300.0,
            "linkage_ci_low": 4080.0,
            "linkage_ci_high": 7230.0,
            "total_ci_low": 3790.0,
            "total_ci_high": None,
            "draws": 50,
            "blocking_recall": 0.874,
            "never_compared_drawn": True,
            "caveat": "",
        },
    }
    monkeypatch.setattr(app.state.ctx, "linkage_runs", tmp_path)
    monkeypatch.setattr(prevalence, "latest_run", lambda _: SimpleNamespace(name="fake-run"))
    monkeypatch.setattr(prevalence, "record_lists", lambda _: None)
    monkeypatch.setattr(
        prevalence, "estimate_saved_run", lambda *a, **k: SimpleNamespace(to_dict=lambda: fake)
    )
    page = clients["viewer"].get("/prevalence?linked=true").text
    linked = page.split('id="prevalence-linked"', 1)[1].split("</section>", 1)[0]
    assert "12,345 → 10,001" in linked
    assert 'data-result="linked-threshold">4,200 (4,000 – 4,500)' in linked
    assert "Profile-likelihood interval" in linked and "it leaves out linkage error" in linked
    assert 'data-result="linked-linkage-ci">4,080 – 7,230' in linked
    assert "Linkage only: how far the estimate moves" in linked
    assert 'data-result="linked-total-ci">3,790 – ∞' in linked
    assert "Total: linkage error and the estimator" in linked
    assert 'data-result="blocking-recall">87%' in linked
    assert "also link pairs no rule compared" in linked


def test_templates_format_figures_only_through_the_shared_filters():
    """``"{:,}".format`` ignores the reader's language; ``num``/``interval`` follow it."""
    from pathlib import Path

    import uncounted.web

    folder = Path(uncounted.web.__file__).parent / "templates"
    offenders = [p.name for p in folder.glob("*.html") if ".format(" in p.read_text()]
    assert offenders == []
