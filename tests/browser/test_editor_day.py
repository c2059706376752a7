"""An editor's day in a real browser, on the demo data.

The editor signs in, records a claim in an event, attributes it to Zelensky
(asserts) and the Russian Ministry of Defence (denies), attaches evidence and
moves it to disputed and submits it for review; a reviewer then confirms and
publishes it.
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from claims.models import Claim, Place, Stance
from sources.models import Source
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-desk-password-42"
CLAIM = "Ukrainian forces entered the village of Prilesye on 18 March 2025."


@pytest.fixture
def desk(db):
    call_command("load_demo", verbosity=0)
    # An archive's worth of reference data: the admin's filters and boxes must
    # not list every row.
    region = Place.objects.get(slug="belgorod-region")
    Place.objects.bulk_create(
        Place(name=f"Hamlet {n}", slug=f"hamlet-{n}", kind="village", parent=region)
        for n in range(3000)
    )
    Source.objects.bulk_create(
        Source(
            name=f"Channel {n}",
            slug=f"channel-{n}",
            kind="media",
            affiliation="independent",
            reliability="C",
        )
        for n in range(3000)
    )
    for username, group in (("desk-editor", "Editors"), ("desk-reviewer", "Reviewers")):
        user = UserFactory(username=username, is_staff=True, password=PASSWORD)
        user.groups.add(Group.objects.get(name=group))


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_selector("text=Logged out")


def autocomplete(page, field_id: str, term: str, choice: str) -> None:
    """Pick ``choice`` in the admin's select2 autocomplete for ``field_id``.

    Each step waits until its results have arrived in full, so select2 never
    aborts a search still in flight when the next one starts.
    """
    with page.expect_request_finished(lambda r: "/admin/autocomplete/" in r.url):
        page.locator(f"#{field_id} + .select2 .select2-selection").click()
    with page.expect_request_finished(lambda r: "term=" in r.url):
        page.locator(".select2-container--open .select2-search__field").fill(term)
    page.locator(".select2-results__option", has_text=choice).first.click()


def add_inline(page, group: str) -> str:
    """Open one more form of an inline and return its field prefix."""
    total = page.locator(f"#id_{group}-TOTAL_FORMS")
    index = int(total.input_value())
    page.locator(f"#{group}-group .add-row a").click()
    return f"id_{group}-{index}"


def change_status(page, status: str, rationale: str) -> None:
    page.get_by_role("link", name="Change status").click()
    page.get_by_label("New status").select_option(status)
    page.get_by_label("Rationale").fill(rationale)
    page.locator("#id_evidence input[type=checkbox]").first.check()
    page.get_by_role("button", name="Change status").click()


def test_an_editors_day(live_server, page, artifacts, axe, desk):
    base = live_server.url

    # The editor records the claim in its event.
    sign_in(page, base, "desk-editor")
    page.goto(f"{base}/admin/claims/claim/add/")
    page.get_by_label("Text").fill(CLAIM)
    autocomplete(page, "id_event", "Belgorod", "Ukrainian cross-border operations")
    autocomplete(page, "id_places", "Прилесье", "Prilesye")

    # Zelensky asserts it; the Russian Ministry of Defence denies it.
    zelensky = add_inline(page, "statements")
    autocomplete(page, f"{zelensky}-source", "Зеленський", "Volodymyr Zelensky")
    page.locator(f"#{zelensky}-stance").select_option("asserts")
    page.locator(f"#{zelensky}-stated_on").fill("2025-03-18")
    page.locator(f"#{zelensky}-quote").fill("Our forces are operating in Prilesye.")
    mod = add_inline(page, "statements")
    autocomplete(page, f"{mod}-source", "Russian MoD", "Russian Ministry of Defence")
    page.locator(f"#{mod}-stance").select_option("denies")
    page.locator(f"#{mod}-stated_on").fill("2025-03-18")
    page.locator(f"#{mod}-quote").fill(
        "All attempts to cross the border were repelled."
    )

    # ISW's assessment is the evidence.
    evidence = add_inline(page, "evidence")
    autocomplete(page, f"{evidence}-document", "Campaign Assessment", "March 21")
    page.locator(f"#{evidence}-stance").select_option("supports")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector(".messagelist .success")

    claim = Claim.objects.get(text=CLAIM)
    assert claim.event.slug == "belgorod-cross-border-operations-2025"
    assert [p.slug for p in claim.places.all()] == ["prilesye"]
    assert sorted(claim.statements.values_list("source__slug", "stance")) == [
        ("russian-ministry-of-defence", Stance.DENIES),
        ("volodymyr-zelensky", Stance.ASSERTS),
    ]
    assert claim.evidence.count() == 1

    # An editor can dispute it, but not confirm it.
    change_status(page, "disputed", "Kyiv says its troops are there; Moscow denies.")
    page.wait_for_selector("text=Status changed: Unverified → Disputed.")
    assert page.locator(".badge.status-disputed").first.is_visible()
    assert page.get_by_role("link", name="Publish…").count() == 0
    page.get_by_role("link", name="Change status").click()
    options = page.get_by_label("New status").locator("option").all_inner_texts()
    assert "Confirmed" not in options
    page.go_back()
    # Done: the editor hands it to a reviewer.
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector(".badge.visibility-in_review")
    sign_out(page)

    # The reviewer confirms it on evidence and publishes it.
    sign_in(page, base, "desk-reviewer")
    page.goto(f"{base}/admin/claims/claim/?q=Prilesye")
    page.get_by_role("link", name=re.compile("entered the village of Prilesye")).click()
    change_status(
        page, "confirmed", "Geolocated footage places the unit in the village."
    )
    page.wait_for_selector("text=Status changed: Disputed → Confirmed.")
    page.get_by_role("link", name="Publish…").click()
    page.get_by_role("button", name="Confirm: publish").click()
    page.wait_for_selector("text=Published: ")
    assert page.locator(".badge.visibility-published").first.is_visible()
    page.screenshot(
        path=artifacts / "claim-confirmed-and-published.png", full_page=True
    )
    # Badges and buttons keep their contrast; the change-status page is clean.
    # (Django's own admin markup has known axe findings, e.g. select2 widgets.)
    assert not [v for v in axe(page) if v["id"] == "color-contrast"]
    page.get_by_role("link", name="Change status").click()
    assert axe(page) == []
    page.goto(f"{base}/admin/claims/claim/")
    page.screenshot(path=artifacts / "claims.png", full_page=True)
    assert not [v for v in axe(page) if v["id"] == "color-contrast"]

    # The list filtered by a source picked in its search box, among thousands.
    with page.expect_navigation(url=re.compile("statements__source__id__exact=")):
        autocomplete(
            page,
            "id_filter_statements__source__id__exact",
            "Зеленський",
            "Volodymyr Zelensky",
        )
    assert page.get_by_role(
        "link", name=re.compile("entered the village of Prilesye")
    ).is_visible()

    claim.refresh_from_db()
    assert (claim.status, claim.visibility) == ("confirmed", "published")
    assert [c.new_status for c in claim.status_changes.all()] == [
        "disputed",
        "confirmed",
    ]
    assert (artifacts / "claim-confirmed-and-published.png").stat().st_size > 0
    assert not page.problems, page.problems


def test_two_editors_on_one_claim(live_server, browser, page, artifacts, desk):
    base = live_server.url
    UserFactory(username="night-editor", is_staff=True, password=PASSWORD).groups.add(
        Group.objects.get(name="Editors")
    )
    claim = Claim.objects.get(slug="225th-assault-regiment-deployed-in-belgorod")
    url = f"{base}/admin/claims/claim/{claim.pk}/change/"
    other = browser.new_context().new_page()
    # Both open the same claim.
    sign_in(page, base, "desk-editor")
    page.goto(url)
    sign_in(other, base, "night-editor")
    other.goto(url)

    # The night editor saves first; the desk editor saves the stale page.
    other.get_by_label("Text").fill(
        "Ukraine's 225th Assault Regiment fights in Belgorod."
    )
    other.get_by_role("button", name="Save and continue editing").click()
    other.wait_for_selector(".messagelist .success")
    page.get_by_label("Text").fill("Ukraine's 225th Regiment is in Belgorod region.")
    page.get_by_role("button", name="Save and continue editing").click()

    errors = page.locator(".errornote, .errorlist.nonfield")
    errors.first.wait_for()
    assert (
        "Someone changed this claim after you opened it" in errors.all_inner_texts()[-1]
    )
    assert "night-editor" in page.content()
    assert page.get_by_label("Text").input_value() == (
        "Ukraine's 225th Regiment is in Belgorod region."
    )
    page.screenshot(path=artifacts / "stale-edit-refused.png", full_page=True)
    claim.refresh_from_db()
    assert claim.text == "Ukraine's 225th Assault Regiment fights in Belgorod."
    other.context.close()
    assert not page.problems, page.problems
