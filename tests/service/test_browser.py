"""The pages in headless Chromium against a real uvicorn server and the real models."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from playwright.sync_api import expect, sync_playwright

from service.main import create_app

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make browser)"),
]

HVAC_PL = (
    "Jesteśmy firmą instalacyjną z Gdańska. Projektujemy i montujemy instalacje chłodnicze, "
    "klimatyzację i pompy ciepła dla chłodni i przetwórni spożywczych. ❄️ Serwis 24/7."
)
SHIPYARD_EN = "We are a shipyard in Gdynia. We build and repair ferries, tugs and offshore support vessels."
BAKERY_EN = "We bake bread and cakes for local shops."


@pytest.fixture(scope="module")
def base_url(tmp_path_factory, real_matcher, live_server, settings_in) -> Iterator[str]:
    """A live server with the real models; its own database and the admin key of the test settings."""
    settings = settings_in(tmp_path_factory.mktemp("browser"), api_key="browser-admin-key")
    with live_server(create_app(settings, matcher_factory=lambda s, store, encoders: real_matcher)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page (own storage) that fails the test on any script error or CSP violation.

    A 401 is logged by the browser as a failed resource, but it is the API's expected answer to a wrong key.
    """
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "401" not in msg.text else None)
    yield page
    context.close()
    assert not errors, errors


def _submit(page, text: str) -> None:
    page.get_by_label("Your company's profile").fill(text)
    page.get_by_role("button", name="Find my cluster").click()
    page.locator("#matches li").first.wait_for()


def test_polish_and_english_profiles_show_the_right_cluster_and_why(page, base_url):
    page.goto(base_url + "/")
    _submit(page, HVAC_PL)
    first = page.locator("#matches li").first
    assert first.get_attribute("data-cluster") == "hvac"
    assert "KlimaPomerania" in page.locator("#decision").inner_text()
    marks = first.locator("mark")
    assert marks.count() >= 1
    assert "Your sentences that led here" in first.locator("details.why").inner_text()
    assert all(m in HVAC_PL for m in marks.all_inner_texts())
    assert first.locator(".pct").inner_text().endswith("%")
    assert "KlimaPomerania" in page.locator("#announce").inner_text()

    # The same with the keyboard only: type, tab to the button, press Enter.
    page.get_by_label("Your company's profile").fill(SHIPYARD_EN)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "submit"
    page.keyboard.press("Enter")
    expect(page.locator("#matches li").first).to_have_attribute("data-cluster", "maritime")
    link = page.locator("#matches li").first.locator("h3 a")
    assert link.get_attribute("href").startswith("http")


def test_a_profile_that_fits_nothing_says_so_and_can_go_to_the_office(page, base_url):
    page.goto(base_url + "/")
    _submit(page, BAKERY_EN)
    assert "No cluster fits" in page.locator("#decision").inner_text()
    why = page.locator("#matches li").first.locator("details.why").inner_text()
    assert "led here" not in why  # a cluster that is not recommended is not said to be led to
    page.get_by_label("Contact (e-mail or phone, optional)").fill("piekarnia@example.pl")
    page.get_by_role("button", name="Send to the office").click()
    expect(page.locator("#send-status")).to_contain_text("inquiry, reference")


def test_a_profile_in_a_third_language_is_ranked_and_flagged_in_either_interface(page, base_url):
    page.goto(base_url + "/")
    _submit(page, "Wir entwickeln Software für Reedereien und Häfen an der Ostsee.")
    assert page.locator("#matches li").count() >= 1
    expect(page.locator("p.review")).to_contain_text("in neither English nor Polish (it reads as German)")
    page.get_by_role("button", name="Polski").click()
    expect(page.locator("p.review")).to_contain_text("ani po angielsku, ani po polsku")


def test_a_profile_of_zero_width_spaces_is_asked_for_again_without_a_request(page, base_url):
    page.goto(base_url + "/")
    _submit(page, SHIPYARD_EN)  # the results of an earlier text are hidden with the error
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/v1/match" in r.url else None)
    page.get_by_label("Your company's profile").fill("\u200b\u200b \u00ad")
    page.get_by_role("button", name="Find my cluster").click()
    expect(page.locator("#form-error")).to_contain_text("Please describe your company first.")
    assert requests == []
    assert page.locator("#results").is_hidden()


def test_the_interface_language_switches_and_is_remembered(page, base_url):
    page.goto(base_url + "/")
    _submit(page, SHIPYARD_EN)
    page.get_by_role("button", name="Polski").click()
    assert page.locator("h1").inner_text() == "Który pomorski klaster pasuje do Twojej firmy?"
    assert page.evaluate("document.documentElement.lang") == "pl"
    assert page.get_by_role("button", name="Polski").get_attribute("aria-pressed") == "true"
    assert "Twój opis pasuje do" in page.locator("#decision").inner_text()  # results re-rendered
    page.reload()
    assert page.get_by_label("Opis Twojej firmy").is_visible()
    page.get_by_role("button", name="English").click()
    assert page.locator("h1").inner_text() == "Which Pomeranian cluster fits your company?"


def test_an_officer_corrects_an_inquiry_and_it_leaves_the_queue(page, base_url):
    inquiry = httpx.post(base_url + "/v1/inquiries", json={"text": BAKERY_EN + " Also coffee."}, headers=ADMIN).json()
    assert inquiry["status"] == "needs_review"
    page.goto(base_url + "/office")
    page.get_by_label("Admin key").fill("wrong")
    page.keyboard.press("Enter")
    expect(page.locator("#key-error")).to_contain_text("refused")
    page.get_by_label("Admin key").fill("browser-admin-key")
    page.get_by_role("button", name="Open the queue").click()
    item = page.locator(f'.inquiry[data-id="{inquiry["id"]}"]')
    item.wait_for()
    assert "Proposed: no cluster fits" in item.inner_text()
    item.locator('button[data-cluster="construction"]').click()
    item.wait_for(state="detached")
    assert f"Inquiry #{inquiry['id']}" in page.locator("#office-status").inner_text()
    headers = {"X-API-Key": "browser-admin-key"}
    decided = httpx.get(f"{base_url}/v1/inquiries/{inquiry['id']}", headers=headers).json()
    assert (decided["status"], decided["officer_clusters"]) == ("decided", ["construction"])
    page.reload()  # the key is kept for the tab, and the decided inquiry stays out of the queue
    page.locator("#queue-count").wait_for()
    assert page.locator(f'.inquiry[data-id="{inquiry["id"]}"]').count() == 0


def test_the_office_gets_the_text_in_the_box_once(page, base_url):
    """Send goes with what the box holds now (not the last matched text), and a second click says it went."""
    page.goto(base_url + "/")
    _submit(page, SHIPYARD_EN)
    page.get_by_label("Your company's profile").fill(HVAC_PL)
    page.get_by_role("button", name="Send to the office").click()
    expect(page.locator("#send-status")).to_contain_text("inquiry, reference")
    ref = re.search(r"reference ([\w-]+),", page.locator("#send-status").inner_text()).group(1)
    page.get_by_role("button", name="Send to the office").click()
    expect(page.locator("#send-status")).to_contain_text(f"already been sent as inquiry reference {ref}")
    headers = {"X-API-Key": "browser-admin-key"}
    listed = httpx.get(f"{base_url}/v1/inquiries", params={"limit": 500}, headers=headers).json()["data"]
    assert [x["text"] for x in listed if x["ref"] == ref] == [HVAC_PL]
    assert sum(x["text"] == HVAC_PL for x in listed) == 1


def test_a_failed_match_hides_the_previous_results(browser, base_url):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    try:
        page.goto(base_url + "/")
        _submit(page, SHIPYARD_EN)
        page.route("**/v1/match", lambda route: route.fulfill(status=503, json={"detail": "loading"}))
        page.get_by_label("Your company's profile").fill(BAKERY_EN)
        page.get_by_role("button", name="Find my cluster").click()
        expect(page.locator("#form-error")).to_contain_text("still starting")
        assert page.locator("#results").is_hidden()
        assert page.locator("#announce").inner_text() == ""
    finally:
        context.close()


def test_an_officer_must_tick_a_cluster_and_a_double_click_decides_once(page, base_url):
    inquiry = httpx.post(base_url + "/v1/inquiries", json={"text": BAKERY_EN + " And pastries."}, headers=ADMIN).json()
    headers = {"X-API-Key": "browser-admin-key"}
    page.goto(base_url + "/office")
    page.get_by_label("Admin key").fill("browser-admin-key")
    page.get_by_role("button", name="Open the queue").click()
    item = page.locator(f'.inquiry[data-id="{inquiry["id"]}"]')
    item.locator("details summary").click()
    item.get_by_role("button", name="Route to the checked clusters").click()
    expect(page.locator("#office-error")).to_contain_text("Tick at least one cluster")
    assert httpx.get(f"{base_url}/v1/inquiries/{inquiry['id']}", headers=headers).json()["status"] != "decided"

    item.locator('button[data-cluster="construction"]').dblclick()
    item.wait_for(state="detached")
    feedback = httpx.get(f"{base_url}/v1/feedback", params={"include_withdrawn": True}, headers=headers).json()["data"]
    assert [f["labels"] for f in feedback if f["inquiry_id"] == inquiry["id"]] == [["construction"]]


def test_several_clusters_are_saved_best_ranked_first(page, base_url):
    """Labels are stored best first: the ticked clusters keep the ranking's order, not the catalogue's."""
    inquiry = httpx.post(
        base_url + "/v1/inquiries", json={"text": SHIPYARD_EN + " Also ship paints."}, headers=ADMIN
    ).json()
    assert inquiry["decision"][0] == "maritime"  # second in the catalogue, after biochem
    headers = {"X-API-Key": "browser-admin-key"}
    page.goto(base_url + "/office")
    page.get_by_label("Admin key").fill("browser-admin-key")
    page.get_by_role("button", name="Open the queue").click()
    page.locator("#status-filter").select_option(inquiry["status"])  # routed, or waiting for review
    item = page.locator(f'.inquiry[data-id="{inquiry["id"]}"]')
    item.locator("details summary").click()
    for box in item.locator(".several input").all():
        box.set_checked(box.get_attribute("value") in ("biochem", "maritime"))
    item.get_by_role("button", name="Route to the checked clusters").click()
    item.wait_for(state="detached")
    feedback = httpx.get(f"{base_url}/v1/feedback", headers=headers).json()["data"]
    assert [f["labels"] for f in feedback if f["inquiry_id"] == inquiry["id"]] == [["maritime", "biochem"]]


def test_the_api_docs_render_without_internet(page, base_url):
    """/docs draws the operations from the service's own copy of Swagger UI; requests elsewhere fail."""
    outside: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(base_url + "/docs")
    expect(page.locator(".opblock-summary-path", has_text="/v1/match").first).to_be_visible()
    assert outside == []


# -- what the scores mean, and the office's tools ------------------------------------------------

SOLAR_EN = "We install solar panels and heat pumps on houses and also do the roof work."  # energy; HVAC also possible
UNCLEAR_PL = "Nasza misja to tworzenie wartości dla akcjonariuszy i społeczności."  # says nothing of what it does
GERMAN = "Wir entwickeln Software für Reedereien und Häfen an der Ostsee."
ADMIN = {"X-API-Key": "browser-admin-key"}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"

#: The words a card's badge says, and a phrase of its "why" that must agree with it.
WORDS = {
    "en": {
        "recommended": "Recommended",
        "possible": "Also possible",
        "unlikely": "Unlikely",
        "unassessed": "No recommendation",
    },
    "pl": {
        "recommended": "Polecany",
        "possible": "Też możliwy",
        "unlikely": "Mało prawdopodobny",
        "unassessed": "Bez rekomendacji",
    },
}
WHY = {
    "en": {
        "recommended": "Your sentences that led here",
        "possible": "less strongly than we need to recommend it",
        "unlikely": "Not recommended.",
        "unassessed": "Not a recommendation",
    },
    "pl": {
        "recommended": "Zdania, które o tym przesądziły",
        "possible": "słabiej, niż potrzeba, byśmy go polecili",
        "unlikely": "Nie polecamy.",
        "unassessed": "To nie jest rekomendacja",
    },
}
LED_HERE = {"en": "led here", "pl": "przesądziły"}


def _shot(page, name: str) -> None:
    """A screenshot for people to look at (reports/ is not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _possible(score: float) -> bool:
    """ "Also possible" as the score is shown: from 20% (0.1996 shows as 20%)."""
    return round(score * 100) >= 20


def _expected_levels(base_url: str, text: str) -> dict[str, str]:
    result = httpx.post(base_url + "/v1/match", json={"text": text, "top_k": 100}).json()
    return {
        m["cluster"]["id"]: "recommended"
        if m["cluster"]["id"] in result["decision"]
        else "possible"
        if _possible(m["score"])
        else "unlikely"
        for m in result["matches"]
    }


def _check_cards(page, levels: dict[str, str], lang: str) -> None:
    cards = page.locator("#matches li.match")
    assert cards.count() == len(levels)
    for card in cards.all():
        level = levels[card.get_attribute("data-cluster")]
        assert card.get_attribute("data-level") == level
        assert card.locator(".badge").inner_text() == WORDS[lang][level]
        why = card.locator("details.why").text_content()
        if card.locator("details.why blockquote").count():
            assert WHY[lang][level] in why
        if level != "recommended":
            assert LED_HERE[lang] not in why  # never "led here" under a badge that does not recommend


def test_every_score_is_said_in_words_that_agree_with_the_decision(page, base_url):
    levels = _expected_levels(base_url, SOLAR_EN)
    assert set(levels.values()) == {"recommended", "possible", "unlikely"}
    page.goto(base_url + "/")
    _submit(page, SOLAR_EN)
    _check_cards(page, levels, "en")
    _shot(page, "page-score-words-en.png")
    page.get_by_role("button", name="Polski").click()
    expect(page.locator("#matches li.match .badge").first).to_have_text(WORDS["pl"]["recommended"])
    _check_cards(page, levels, "pl")
    _shot(page, "page-score-words-pl.png")


@pytest.mark.parametrize(
    ("text", "outcome", "why_en", "why_pl"),
    [
        (GERMAN, "foreign", "We read only English and Polish", "Czytamy tylko teksty po polsku i po angielsku"),
        (UNCLEAR_PL, "unclear", "does not say what your organisation makes", "nie wynika, co Twoja organizacja"),
    ],
)
def test_no_recommendation_for_a_text_the_matcher_cannot_read(page, base_url, text, outcome, why_en, why_pl):
    page.goto(base_url + "/")
    _submit(page, text)
    assert page.locator(f'#decision [data-outcome="{outcome}"]').count() == 1
    cards = page.locator("#matches li.match")
    for lang, why in (("en", why_en), ("pl", why_pl)):
        if lang == "pl":
            page.get_by_role("button", name="Polski").click()
            expect(cards.first.locator(".badge")).to_have_text(WORDS["pl"]["unassessed"])
        assert {c.get_attribute("data-level") for c in cards.all()} == {"unassessed"}
        assert set(cards.locator(".badge").all_inner_texts()) == {WORDS[lang]["unassessed"]}
        assert all(why in note for note in cards.locator(".level-note").all_inner_texts())
        assert WORDS[lang]["recommended"] not in page.locator("#results").inner_text()
    _shot(page, f"page-no-recommendation-{outcome}-pl.png")


def _open_office(page, base_url: str, *, lang: str = "en", path: str = "/office") -> None:
    page.goto(base_url + path)
    if lang == "pl":
        page.get_by_role("button", name="Polski").click()
    page.locator("#api-key").fill("browser-admin-key")
    page.locator("#api-key").press("Enter")
    if path == "/office":
        page.locator("#queue-count").wait_for()
    else:
        page.locator("svg.chart").first.wait_for()


def _settled(page) -> None:
    """Wait for the list the filters last asked for (a change of filter starts a load at once)."""
    expect(page.locator("#queue")).to_have_attribute("aria-busy", "false")


def _search_all(page, text: str) -> None:
    """Every inquiry (not only the queue) whose text or contact holds ``text``."""
    page.locator("#status-filter").select_option("")
    page.locator("#search").fill(text)
    page.locator("#search").press("Enter")
    _settled(page)


def _shown(page) -> list[int]:
    return [int(i) for i in page.locator(".inquiry").evaluate_all("els => els.map(e => e.dataset.id)")]


def test_an_office_card_shows_its_reason_explanation_and_scores_in_both_languages(page, base_url):
    contact = "card-check@piekarnia.example.pl"
    inquiry = httpx.post(
        base_url + "/v1/inquiries", json={"text": BAKERY_EN + " Fresh rolls daily.", "contact": contact}, headers=ADMIN
    )
    inquiry = inquiry.json()
    assert inquiry["review_reason"] == "no cluster fits well enough"
    _open_office(page, base_url)
    _search_all(page, "CARD-CHECK@")  # any case
    item = page.locator(f'.inquiry[data-id="{inquiry["id"]}"]')
    assert _shown(page) == [inquiry["id"]]
    expect(item.locator(".reason")).to_have_text("Set aside for review because no cluster fits well enough.")
    # a bakery: no cluster is even possible, so none quotes the bakery's sentence as a reason
    assert not any(_possible(r["score"]) for r in inquiry["ranking"][:3])
    unlikely_en = "Unlikely (under 20%): the text gives too little reason to propose this cluster."
    assert item.locator(".explanation").all_inner_texts() == [unlikely_en] * 3
    assert len(item.locator(".ranking .pct").all_inner_texts()) == 3
    assert item.locator(".ranking li").first.get_attribute("data-cluster") == inquiry["ranking"][0]["cluster"]
    # an installer of solar panels and heat pumps: the routed and the possible clusters say why
    member = httpx.post(
        base_url + "/v1/inquiries",
        json={"text": "We install solar panels and heat pumps on houses.", "contact": "card-check@solar.example.pl"},
        headers=ADMIN,
    ).json()
    _search_all(page, "CARD-CHECK@")
    card = page.locator(f'.inquiry[data-id="{member["id"]}"]')
    top = member["ranking"][:3]
    why = [
        r["summary"]["en"] if r["cluster"] in member["decision"] or _possible(r["score"]) else unlikely_en for r in top
    ]
    assert card.locator(".explanation").all_inner_texts() == why
    assert why[0] == top[0]["summary"]["en"] and top[0]["cluster"] in member["decision"]

    page.get_by_role("button", name="Polski").click()
    expect(item.locator(".reason")).to_have_text(
        "Odłożone do przeglądu, ponieważ żaden klaster nie pasuje wystarczająco."
    )
    unlikely_pl = "Mało prawdopodobny (poniżej 20%): tekst daje za mało powodów, by proponować ten klaster."
    assert item.locator(".explanation").all_inner_texts() == [unlikely_pl] * 3
    assert card.locator(".explanation").first.inner_text() == top[0]["summary"]["pl"]
    assert "Propozycja: żaden klaster nie pasuje" in item.inner_text()
    expect(page.locator("#queue-count")).to_have_text("Zgłoszenia 1–2 z 2")
    _shot(page, "office-card-pl.png")


def test_the_office_searches_and_filters_in_either_language(page, base_url):
    token = "Filtry-7Q"
    made = {
        name: httpx.post(
            base_url + "/v1/inquiries", json={"text": text, "contact": f"{name}-{token}@example.pl"}, headers=ADMIN
        ).json()
        for name, text in (("hvac", HVAC_PL), ("ship", SHIPYARD_EN), ("german", GERMAN))
    }
    _open_office(page, base_url, lang="pl")
    items = page.locator(".inquiry")
    _search_all(page, token.upper())
    assert sorted(_shown(page)) == sorted(i["id"] for i in made.values())
    expect(page.locator("#queue-count")).to_have_text("Zgłoszenia 1–3 z 3")

    page.locator("#lang-filter").select_option("other")
    _settled(page)
    assert _shown(page) == [made["german"]["id"]]
    assert "Język: inny" in items.first.inner_text()

    page.locator("#lang-filter").select_option("")
    page.locator("#cluster-filter").select_option("maritime")
    _settled(page)
    maritime = [i["id"] for i in made.values() if i["decision"][:1] == ["maritime"]]  # the German text's guess too
    assert made["ship"]["id"] in maritime and made["hvac"]["id"] not in maritime
    assert _shown(page) == sorted(maritime, reverse=True)

    page.locator("#cluster-filter").select_option("")
    page.get_by_role("button", name="English").click()
    page.locator("#from-filter").fill("2999-01-01")
    _settled(page)
    expect(page.locator("#queue-count")).to_have_text("No inquiry matches these filters.")
    page.locator("#to-filter").fill("2998-12-31")  # before the start: said, and nothing is asked
    expect(page.locator("#office-error")).to_contain_text("The end of the date range must come after its start.")
    _shot(page, "office-filters-en.png")

    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator("#search")).to_have_value("")
    expect(page.locator("#status-filter")).to_have_value("needs_review")


def test_the_dashboard_draws_its_plots_from_the_stats(page, base_url):
    agreed = httpx.post(
        base_url + "/v1/inquiries", json={"text": SHIPYARD_EN + " Dashboard one."}, headers=ADMIN
    ).json()
    corrected = httpx.post(base_url + "/v1/inquiries", json={"text": HVAC_PL + " Dashboard two."}, headers=ADMIN).json()
    httpx.post(f"{base_url}/v1/inquiries/{agreed['id']}/decision", json={"clusters": agreed["decision"]}, headers=ADMIN)
    httpx.post(f"{base_url}/v1/inquiries/{corrected['id']}/decision", json={"clusters": ["ict"]}, headers=ADMIN)
    stats = httpx.get(base_url + "/v1/stats", headers=ADMIN).json()
    assert stats["inquiries"] >= 2 and stats["agreement"][0]["decisions"] >= 2

    _open_office(page, base_url, path="/office/dashboard")
    chart = lambda name: page.locator(f'svg.chart[data-chart="{name}"]')  # noqa: E731
    for name in ("weeks", "review", "clusters", "agreement", "calibration"):
        expect(chart(name)).to_be_visible()
        assert chart(name).locator(".mark").count() > 0, name
        assert chart(name).get_attribute("aria-label")

    weekly = [
        float(v) for v in chart("weeks").locator("rect.mark").evaluate_all("els => els.map(e => e.dataset.value)")
    ]
    assert sum(weekly) == stats["inquiries"]
    shares = chart("review").locator("circle.mark").count()
    assert shares == sum(1 for w in stats["weeks"] if w["inquiries"])
    shown = [c for c in stats["clusters"] if c["matcher"] or c["officer"] or c["cluster"] != "none"]
    assert chart("clusters").locator("rect.mark").count() == 2 * len(shown)
    first_bar = chart("agreement").locator("rect.mark").first
    assert float(first_bar.get_attribute("data-value")) == pytest.approx(stats["agreement"][0]["accuracy"])
    bands_with_data = sum(1 for b in stats["calibration"] if b["pairs"])
    assert chart("calibration").locator("rect.mark").count() == 2 * bands_with_data
    assert "Officers kept the matcher's routing in" in page.locator("#dash-summary").inner_text()
    _shot(page, "office-dashboard-en.png")

    page.get_by_role("button", name="Polski").click()
    expect(page.locator('[data-figure="weeks"] figcaption')).to_contain_text("Zgłoszenia w kolejnych tygodniach")
    assert "Opiekunowie utrzymali przydział" in page.locator("#dash-summary").inner_text()
    assert chart("weeks").locator("rect.mark").count() == len(weekly)
    _shot(page, "office-dashboard-pl.png")


def test_the_office_downloads_the_list_it_shows(page, base_url):
    token = "eksport-9Z"
    for text in (HVAC_PL, SHIPYARD_EN):
        httpx.post(base_url + "/v1/inquiries", json={"text": text, "contact": f"{token}@example.pl"}, headers=ADMIN)
    _open_office(page, base_url, lang="pl")
    _search_all(page, token)
    assert len(_shown(page)) == 2

    with page.expect_download() as info:
        page.get_by_role("button", name="CSV dla Excela").click()
    download = info.value
    assert re.fullmatch(r"inquiries-\d{8}-\d{4}\.csv", download.suggested_filename)
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert sorted(r["text"] for r in rows) == sorted([HVAC_PL, SHIPYARD_EN])
    assert {r["contact"] for r in rows} == {f"{token}@example.pl"}
    assert "Polski Klaster Morski" in {r["decision"] for r in rows}  # cluster names in the interface's language
    expect(page.locator("#office-status")).to_contain_text(download.suggested_filename)

    with page.expect_download() as info:
        page.get_by_role("button", name="Skoroszyt Excela (.xlsx)").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    header, *cells = list(workbook.active.iter_rows(values_only=True))
    assert info.value.suggested_filename.endswith(".xlsx")
    assert sorted(dict(zip(header, row, strict=True))["text"] for row in cells) == sorted([HVAC_PL, SHIPYARD_EN])


def test_a_refused_key_is_said_in_the_interface_language(page, base_url):
    page.goto(base_url + "/office")
    page.get_by_role("button", name="Polski").click()
    page.locator("#api-key").fill("wrong")
    page.locator("#api-key").press("Enter")
    expect(page.locator("#key-error")).to_have_text("Klucz odrzucony: to nie jest klucz administratora tej usługi.")
    assert "wrong admin key" not in page.locator("main").inner_text()
