"""The pages in headless Chromium against a real uvicorn server and the real models."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
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
    expect(page.locator("#send-status")).to_contain_text("inquiry number")


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
    inquiry = httpx.post(base_url + "/v1/inquiries", json={"text": BAKERY_EN + " Also coffee."}).json()
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
    expect(page.locator("#send-status")).to_contain_text("inquiry number")
    inquiry_id = int(re.search(r"number (\d+)", page.locator("#send-status").inner_text()).group(1))
    page.get_by_role("button", name="Send to the office").click()
    expect(page.locator("#send-status")).to_contain_text("already been sent")
    headers = {"X-API-Key": "browser-admin-key"}
    assert httpx.get(f"{base_url}/v1/inquiries/{inquiry_id}", headers=headers).json()["text"] == HVAC_PL
    listed = httpx.get(f"{base_url}/v1/inquiries", params={"limit": 500}, headers=headers).json()["data"]
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
    inquiry = httpx.post(base_url + "/v1/inquiries", json={"text": BAKERY_EN + " And pastries."}).json()
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
    inquiry = httpx.post(base_url + "/v1/inquiries", json={"text": SHIPYARD_EN + " Also ship paints."}).json()
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
