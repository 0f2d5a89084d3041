"""The office's API: search, filters and paging of the inquiries, the dashboard's figures (/v1/stats)
and the export of the queue and the decisions (CSV for Polish Excel, and .xlsx)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest

pytestmark = pytest.mark.both_databases  # each test on SQLite and on PostgreSQL

HVAC_PL = "Projektujemy i montujemy instalacje chłodnicze oraz klimatyzację dla przemysłu spożywczego."
BREAD = "We bake bread and cakes for local shops."  # fits no cluster
GERMAN = "Wir entwickeln Software für Reedereien und Häfen an der Ostsee."  # neither English nor Polish
SHIPYARD = "We are a shipyard in Gdynia. We build and repair ferries, tugs and offshore support vessels."


@pytest.fixture
def inquiries(client, admin):
    """Four inquiries: routed, no fit (decided by an officer), a third language, and one with a contact."""
    made = {
        "hvac": client.post(
            "/v1/inquiries", json={"text": HVAC_PL, "contact": "Biuro@Chłodnie-Łódź.PL"}, headers=admin
        ).json(),
        "bread": client.post("/v1/inquiries", json={"text": BREAD}, headers=admin).json(),
        "german": client.post("/v1/inquiries", json={"text": GERMAN}, headers=admin).json(),
        "ship": client.post(
            "/v1/inquiries", json={"text": SHIPYARD, "contact": "+48 58 000 00 00"}, headers=admin
        ).json(),
    }
    decided = client.post(f"/v1/inquiries/{made['bread']['id']}/decision", json={"clusters": ["energy"]}, headers=admin)
    assert decided.status_code == 200
    return made


def _ids(client, admin, **params) -> list[int]:
    response = client.get("/v1/inquiries", params=params, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] >= body["count"] == len(body["data"])
    return [i["id"] for i in body["data"]]


def test_search_finds_the_text_or_the_contact_whatever_the_case(client, admin, inquiries):
    assert _ids(client, admin, q="CHŁODNICZE") == [inquiries["hvac"]["id"]]  # Polish letters fold too
    assert _ids(client, admin, q="chłodnie-łódź") == [inquiries["hvac"]["id"]]  # in the contact
    assert _ids(client, admin, q="+48 58") == [inquiries["ship"]["id"]]
    assert _ids(client, admin, q="50%") == []  # a wildcard of SQL is a plain character here
    assert _ids(client, admin, q="_") == []


def test_filters_by_status_cluster_and_language(client, admin, inquiries):
    ids = {name: inquiry["id"] for name, inquiry in inquiries.items()}
    assert _ids(client, admin, status="decided") == [ids["bread"]]
    assert ids["hvac"] in _ids(client, admin, cluster="hvac")  # the matcher's first cluster
    assert _ids(client, admin, cluster="energy") == [ids["bread"]]  # the officer's
    assert ids["bread"] in _ids(client, admin, cluster="none")  # the matcher found none fits
    assert ids["hvac"] not in _ids(client, admin, cluster="none")
    assert _ids(client, admin, lang="other") == [ids["german"]]
    assert set(_ids(client, admin, lang="en")) == {ids["bread"], ids["ship"]}
    assert _ids(client, admin, lang="pl") == [ids["hvac"]]
    assert _ids(client, admin, lang="pl", status="decided") == []


def test_filters_by_dates_a_day_or_an_instant(client, admin, inquiries):
    today = datetime.now(UTC).date()
    everything = sorted(i["id"] for i in inquiries.values())
    assert sorted(_ids(client, admin, created_from=today.isoformat(), created_to=today.isoformat())) == everything
    assert _ids(client, admin, created_to=(today - timedelta(days=1)).isoformat()) == []
    assert _ids(client, admin, created_from=(today + timedelta(days=1)).isoformat()) == []
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert sorted(_ids(client, admin, created_to=later)) == everything
    assert _ids(client, admin, created_from=later) == []


def test_pages_carry_the_total(client, admin, inquiries):
    first = client.get("/v1/inquiries", params={"limit": 3}, headers=admin).json()
    second = client.get("/v1/inquiries", params={"limit": 3, "offset": 3}, headers=admin).json()
    assert (first["count"], first["total"], second["count"], second["total"]) == (3, 4, 1, 4)
    assert (first["limit"], first["offset"], second["offset"]) == (3, 0, 3)
    ids = [i["id"] for i in first["data"] + second["data"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4  # newest first, no repeats
    english = client.get("/v1/inquiries", params={"lang": "en", "limit": 1}, headers=admin).json()
    assert (english["count"], english["total"]) == (1, 2)


def test_an_inquiry_keeps_the_explanations_of_its_best_clusters(client, admin, inquiries):
    (listed,) = client.get("/v1/inquiries", params={"q": "chłodnicze"}, headers=admin).json()["data"]
    best = listed["ranking"][0]
    assert best["cluster"] == "hvac"
    assert set(best["summary"]) == {"en", "pl"} and all(best["summary"].values())
    assert all(r["summary"] is None for r in listed["ranking"][3:])  # only the best three are explained


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"},
        {"lang": "de"},
        {"cluster": "Not An Id!"},
        {"q": ""},
        {"q": "x" * 201},
        {"created_from": "yesterday"},
        {"created_from": "1700000000"},  # a Unix time is not a date
        {"created_to": "2025-02-30"},
        {"created_from": "2025-03-02", "created_to": "2025-03-01"},
        {"created_from": "2025-03-01T12:00:00Z", "created_to": "2025-03-01T12:00:00Z"},
        {"created_to": "9999-12-31"},
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
    ],
)
def test_bad_filters_are_422(client, admin, params):
    for path in ("/v1/inquiries", "/v1/inquiries/export"):
        response = client.get(path, params=params, headers=admin)
        if path.endswith("export") and set(params) <= {"limit", "offset"}:
            continue  # the export has no pages
        assert response.status_code == 422, (path, params, response.text)
        assert response.json()["detail"][0]["loc"][0] == "query"


def test_a_date_range_of_one_day_is_fine(client, admin, inquiries):
    response = client.get(
        "/v1/inquiries", params={"created_from": "2025-03-01", "created_to": "2025-03-01"}, headers=admin
    )
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/v1/stats", "/v1/inquiries/export", "/v1/inquiries?q=a"])
def test_the_office_routes_need_the_admin_key(client, inquiries, path):
    response = client.get(path)
    assert response.status_code == 401
    assert "Chłodnie" not in response.text


def test_stats_count_weeks_clusters_review_and_agreement(client, admin, inquiries):
    # The officer confirms the routed HVAC inquiry (agrees) and re-routes the shipyard (disagrees).
    client.post(f"/v1/inquiries/{inquiries['hvac']['id']}/decision", json={"clusters": ["hvac"]}, headers=admin)
    client.post(f"/v1/inquiries/{inquiries['ship']['id']}/decision", json={"clusters": ["ict"]}, headers=admin)
    stats = client.get("/v1/stats", params={"weeks": 4, "last": 50}, headers=admin).json()

    assert [w["week"] for w in stats["weeks"]] == sorted(w["week"] for w in stats["weeks"])
    assert len(stats["weeks"]) == 4 and date.fromisoformat(stats["weeks"][0]["week"]).weekday() == 0
    this_week = stats["weeks"][-1]
    assert this_week["inquiries"] == stats["inquiries"] == 4
    set_aside = sum(i["needs_review"] for i in inquiries.values())
    assert this_week["needs_review"] == stats["needs_review"] == set_aside
    assert stats["review_share"] == pytest.approx(set_aside / 4)
    assert all(w["inquiries"] == 0 and w["review_share"] is None for w in stats["weeks"][:-1])

    clusters = {c["cluster"]: c for c in stats["clusters"]}
    assert list(clusters)[:6] == [
        "biochem",
        "maritime",
        "hvac",
        "ict",
        "construction",
        "energy",
    ]  # the catalogue's order
    assert list(clusters)[-1] == "none"
    assert sum(c["matcher"] for c in clusters.values()) == 4
    assert (clusters["hvac"]["officer"], clusters["ict"]["officer"], clusters["energy"]["officer"]) == (1, 1, 1)

    agreement = {a["lang"]: a for a in stats["agreement"]}
    assert agreement["all"]["decisions"] == 3
    assert agreement["pl"] == {"lang": "pl", "decisions": 1, "agreed": 1, "accuracy": 1.0}
    assert agreement["en"]["decisions"] == 2 and agreement["en"]["agreed"] == 0  # bread: none -> energy; ship -> ict
    assert agreement["other"] == {"lang": "other", "decisions": 0, "agreed": 0, "accuracy": None}

    bands = stats["calibration"]
    assert [(b["low"], b["high"]) for b in bands] == [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0)]
    assert sum(b["pairs"] for b in bands) == 3 * 6  # every cluster of each decided inquiry
    for band in bands:
        if band["pairs"]:
            assert band["low"] <= band["mean_score"] <= band["high"]
            assert 0 <= band["acceptance"] <= 1

    only_last = client.get("/v1/stats", params={"last": 1}, headers=admin).json()
    assert only_last["agreement"][0]["decisions"] == 1 and only_last["last"] == 1


@pytest.mark.parametrize("params", [{"weeks": 0}, {"weeks": 105}, {"last": 0}, {"last": "many"}])
def test_bad_stats_parameters_are_422(client, admin, params):
    assert client.get("/v1/stats", params=params, headers=admin).status_code == 422


def test_stats_of_an_empty_store(client, admin):
    stats = client.get("/v1/stats", headers=admin).json()
    assert stats["inquiries"] == 0 and stats["review_share"] is None and len(stats["weeks"]) == 12
    assert all(a["accuracy"] is None for a in stats["agreement"])
    assert all(b["pairs"] == 0 and b["mean_score"] is None for b in stats["calibration"])


def test_the_queue_exports_as_csv_for_polish_excel(client, admin, inquiries):
    response = client.get("/v1/inquiries/export", params={"format": "csv", "names": "pl"}, headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert re_filename(response.headers["content-disposition"]).endswith(".csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 4
    by_id = {int(r["id"]): r for r in rows}
    hvac = by_id[inquiries["hvac"]["id"]]
    assert hvac["text"] == HVAC_PL and hvac["contact"] == "Biuro@Chłodnie-Łódź.PL"
    assert hvac["decision"] == "KlimaPomerania"
    assert "," in hvac["best_score"] and "." not in hvac["best_score"]  # decimal comma
    assert hvac["explanation"] and hvac["language"] == "pl"
    assert "+48" in by_id[inquiries["ship"]["id"]]["contact"]  # "+48 ..." is not made a formula...
    assert by_id[inquiries["ship"]["id"]]["contact"].startswith("'+48")  # ...but marked as text
    bread = by_id[inquiries["bread"]["id"]]
    assert (bread["status"], bread["decision"], bread["officer_agrees"]) == (
        "decided",
        "żaden klaster nie pasuje",
        "false",
    )
    assert bread["officer_decision"].startswith("Bałtycki") or bread["officer_decision"]  # energy, by its Polish name
    assert by_id[inquiries["german"]["id"]]["language"] == "other"


def test_the_decisions_export_as_xlsx_with_the_same_filters(client, admin, inquiries):
    response = client.get("/v1/inquiries/export", params={"format": "xlsx", "status": "decided"}, headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re_filename(response.headers["content-disposition"]).endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("id", "received_utc", "language")
    assert [r[0] for r in rows] == [inquiries["bread"]["id"]]
    row = dict(zip(header, rows[0], strict=True))
    assert isinstance(row["received_utc"], datetime) and isinstance(row["best_score"], float)
    assert row["status"] == "decided" and row["officer_agrees"] is False
    assert row["officer_decision"] == "Baltic Eco-Energy Cluster"


def test_an_export_with_nothing_to_export_has_the_header_only(client, admin, inquiries):
    response = client.get("/v1/inquiries/export", params={"q": "nothing like this"}, headers=admin)
    assert response.content.decode("utf-8-sig").strip().startswith("id;received_utc;language")
    assert len(response.content.decode("utf-8-sig").strip().splitlines()) == 1
    assert client.get("/v1/inquiries/export", params={"format": "pdf"}, headers=admin).status_code == 422


def test_the_openapi_document_lists_the_office_parameters(client):
    paths = client.get("/openapi.json").json()["paths"]
    listed = {p["name"] for p in paths["/v1/inquiries"]["get"]["parameters"]}
    assert {"status", "q", "cluster", "lang", "created_from", "created_to", "limit", "offset"} <= listed
    exported = {p["name"] for p in paths["/v1/inquiries/export"]["get"]["parameters"]}
    assert {"format", "names", "status", "q", "cluster", "lang", "created_from", "created_to"} <= exported
    assert {"weeks", "last"} <= {p["name"] for p in paths["/v1/stats"]["get"]["parameters"]}
    content = paths["/v1/inquiries/export"]["get"]["responses"]["200"]["content"]
    assert "text/csv; charset=utf-8" in content


def re_filename(disposition: str) -> str:
    assert disposition.startswith("attachment; filename=")
    return disposition.split("filename=", 1)[1].strip('"')
