"""The public pages in a real browser: accessible, clean, phone-sized, inert to XSS."""

from io import StringIO

import pytest
from django.core.management import call_command

from claims import services
from claims.models import Claim
from sources.models import Document, Source

pytestmark = pytest.mark.django_db(transaction=True)


PHONE = {"width": 375, "height": 812}

PAGES = {
    "index": "/",
    "index-filtered": "/?q=Belgorod&status=confirmed",
    "claim": "/claims/ukrainian-forces-operating-in-belgorod-region/",
    "claim-as-of": "/claims/ukrainian-forces-operating-in-belgorod-region/"
    "?as_of=2025-03-20",
    "claim-relayed": "/claims/fighting-in-demidovka/",
    "event": "/events/belgorod-cross-border-operations-2025/",
    "source": "/sources/institute-for-the-study-of-war/",
    "place": "/places/kryvyi-rih/",
    "place-parent": "/places/russia/",
    "bad-request": "/?status=bogus",
    "not-found": "/claims/no-such-claim/",
}
# Error pages are meant to answer 4xx; everything else must load cleanly.
EXPECTED_STATUS = {"bad-request": 400, "not-found": 404}


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


def check_page(page, axe, artifacts, url: str, name: str) -> list[str]:
    """What is wrong with one page, at desktop and at phone width."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.problems.__init__()
    response = page.goto(url)
    wrong = []
    expected = EXPECTED_STATUS.get(name, 200)
    if response.status != expected:
        wrong.append(f"status {response.status}, expected {expected}")
    if violations := axe(page):
        wrong.append(f"accessibility: {violations}")
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=artifacts / f"{name}-phone.png", full_page=True)
    if width > PHONE["width"]:
        wrong.append(f"scrolls sideways at phone width: {width}px")
    if name in EXPECTED_STATUS:
        # The error response itself is the page's only "failed" request.
        page.problems.failed_requests = [
            failed
            for failed in page.problems.failed_requests
            if not failed.startswith(str(expected))
        ]
        page.problems.console_errors = [
            error
            for error in page.problems.console_errors
            if "Failed to load resource" not in error
        ]
    if page.problems:
        wrong.append(repr(page.problems))
    return wrong


def test_every_public_page_is_accessible_clean_and_fits_a_phone(
    live_server, page, axe, artifacts, demo
):
    wrong = {
        name: problems
        for name, path in PAGES.items()
        if (problems := check_page(page, axe, artifacts, live_server.url + path, name))
    }

    assert wrong == {}


def test_cyrillic_renders_as_written(live_server, page, demo):
    page.goto(f"{live_server.url}/places/demidovka/")

    assert "Демидовка, Демидівка" in page.inner_text("main")


def test_claim_review_json_ld_is_not_blocked_by_the_content_security_policy(
    live_server, page, demo
):
    page.goto(f"{live_server.url}{PAGES['claim']}")

    data = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]')"
        ".textContent)"
    )
    assert data["@type"] == "ClaimReview"
    assert not page.problems, page.problems


def test_pages_work_without_javascript(live_server, browser, demo):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        page.select_option("#id_status", "confirmed")
        page.click("button[type=submit]")
        assert "status=confirmed" in page.url
        assert "Russia has retaken most of the Kursk region" in page.inner_text("main")
    finally:
        context.close()


XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_URL = "javascript:window.__xss=1"


@pytest.fixture
def hostile_claim(reviewer):
    source = Source.objects.create(
        name=f"Evil {XSS_IMG}",
        slug="evil",
        kind="person",
        affiliation="other",
        aliases=[XSS_SCRIPT],
        homepage=XSS_URL,
    )
    # URLField validation refuses javascript: addresses, so this one is written
    # past it, as a careless import could.
    document = Document.objects.create(
        title=f"Doc {XSS_SCRIPT}", url=XSS_URL, archive_url=XSS_URL, publisher=None
    )
    claim = services.create_claim(text=f"Claim {XSS_SCRIPT} {XSS_IMG}", by=reviewer)
    services.attribute_statement(
        claim,
        source=source,
        stance="asserts",
        stated_on=claim.created_at.date(),
        quote=f"Quote {XSS_IMG} {XSS_SCRIPT}",
        translation=f"Translation {XSS_SCRIPT}",
        document=document,
        by=reviewer,
    )
    evidence = services.add_evidence(
        claim, document=document, stance="supports", note=XSS_IMG, by=reviewer
    )
    services.change_status(
        claim,
        to="disputed",
        rationale=f"Rationale {XSS_SCRIPT}",
        evidence=[evidence],
        by=reviewer,
    )
    services.submit_claim(claim, by=reviewer)
    services.publish_claim(claim, by=reviewer)
    return Claim.objects.get(pk=claim.pk)


def test_hostile_text_is_shown_as_text_and_nothing_runs(
    live_server, page, hostile_claim
):
    urls = [
        hostile_claim.get_absolute_url(),
        "/",
        "/?q=script",
        "/sources/evil/",
        hostile_claim.event.get_absolute_url() if hostile_claim.event else None,
    ]
    for url in filter(None, urls):
        page.goto(f"{live_server.url}{url}")

        assert page.evaluate("typeof window.__xss") == "undefined", url
        assert page.locator("script:not([type='application/ld+json'])").count() == 0
        assert page.locator("main img").count() == 0, url
        hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.href)")
        assert not [h for h in hrefs if h.lower().startswith("javascript:")], url

    page.goto(f"{live_server.url}{hostile_claim.get_absolute_url()}")
    text = page.inner_text("main")
    assert f"Claim {XSS_SCRIPT} {XSS_IMG}" in text
    assert f"Quote {XSS_IMG} {XSS_SCRIPT}" in text
    assert f"Evil {XSS_IMG} · F6" in text
    assert XSS_URL in text  # the address is shown, never linked
    # Clicking everything clickable runs nothing either.
    for link in page.locator("main a").all():
        href = link.get_attribute("href") or ""
        if href.startswith("#"):
            link.click()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert not page.problems, page.problems


def test_admin_still_works_under_the_content_security_policy(
    live_server, page, superuser, demo
):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", superuser.username)
    page.fill("#id_password", "correct-horse-battery-staple")
    with page.expect_navigation():
        page.click("input[type=submit]")
    for url in ("/admin/", "/admin/claims/claim/", "/admin/sources/source/add/"):
        page.goto(f"{live_server.url}{url}")
        assert page.locator("#content").is_visible(), url

    assert not page.problems, page.problems
