"""The desk's whole day in a real browser, on the demo data.

Editor A ("ana") starts a claim, sees the near-duplicate the demo already
holds, takes the claim and makes it disputed on evidence; editor B
("bohdan") sees she has it open; the reviewer ("rita") previews it, returns
it with a note, and publishes it once A has answered the note. Every admin
screen on the way fits a 1366 px laptop without scrolling sideways, passes
axe-core without serious or critical findings and is kept as a screenshot.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from claims.models import Claim, Stance
from tests.browser.conftest import watch
from tests.browser.test_editor_day import (
    PASSWORD,
    add_inline,
    autocomplete,
    sign_in,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 900}
SERIOUS = {"serious", "critical"}
NEAR_DEMIDOVKA = "Fighting in Demydivka village in the Belgorod region"
CLAIM = "Russian units shelled the village of Demidovka on 20 March 2025."
RATIONALE = "Kyiv reports the shelling; no independent footage yet."
NOTE = "Add the MoD's denial"


@pytest.fixture
def day(db):
    call_command("load_demo", verbosity=0)
    for username, group in (
        ("ana", "Editors"),
        ("bohdan", "Editors"),
        ("rita", "Reviewers"),
    ):
        user = UserFactory(username=username, is_staff=True, password=PASSWORD)
        user.groups.add(Group.objects.get(name=group))


class Screens:
    """Each admin screen of the day: a screenshot, and what is wrong with it
    (sideways scrolling, serious or critical axe-core findings)."""

    def __init__(self, folder: Path, axe) -> None:
        self.folder = folder
        self.axe = axe
        self.count = 0
        self.problems: list[str] = []

    def check(self, page, what: str) -> None:
        self.count += 1
        page.screenshot(
            path=self.folder / f"desk-day-{self.count:02}-{what}.png", full_page=True
        )
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        if overflow > 0:
            self.problems.append(f"{what}: scrolls sideways by {overflow} px")
        self.problems += [
            f"{what}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes'][:3]}"
            for v in self.axe(page)
            if v["impact"] in SERIOUS
        ]


@pytest.fixture
def people(browser) -> Iterator[list]:
    """Four people at their own laptops: ana, bohdan, rita and the public."""
    pages = [browser.new_context(viewport=LAPTOP).new_page() for _ in range(4)]
    for page in pages:
        watch(page)
    yield pages
    for page in pages:
        page.context.close()


def test_the_desks_whole_day(live_server, artifacts, axe, day, people):
    base = live_server.url
    screens = Screens(artifacts, axe)
    ana, bohdan, rita, anonymous = people

    # 1. A starts a claim like one the demo holds and is shown that one.
    sign_in(ana, base, "ana")
    screens.check(ana, "index-ana")
    ana.goto(f"{base}/admin/claims/claim/add/")
    ana.locator("#id_text").press_sequentially(NEAR_DEMIDOVKA)
    panel = ana.locator("#claim-similar")
    demidovka = re.compile("inside the village of Demidovka")
    panel.get_by_role("link", name=demidovka).wait_for()
    screens.check(ana, "add-near-duplicate")
    # Her own words: the panel answers them before she saves.
    with ana.expect_response(lambda response: "/claim/similar/" in response.url):
        ana.locator("#id_text").fill(CLAIM)
    ana.get_by_role("button", name="Save and continue editing").click()
    ana.wait_for_selector(".messagelist .success")
    claim = Claim.objects.get(text=CLAIM)
    change = f"{base}/admin/claims/claim/{claim.pk}/change/"
    assert ana.url == change
    screens.check(ana, "added")

    # 2. She takes it.
    ana.get_by_role("button", name="Assign to me").click()
    ana.wait_for_selector("text=Assigned to ana.")
    assert ana.locator("#desk").get_by_text("Assigned to: ana").is_visible()
    # The desk sits below the claim's form, not stretched behind it.
    assert ana.evaluate(
        "document.querySelector('#desk').getBoundingClientRect().top >="
        " document.querySelector('#claim_form').getBoundingClientRect().bottom"
    )
    screens.check(ana, "assigned")
    claim.refresh_from_db()
    assert claim.assignee.username == "ana"

    # 3. B opens it while A has it open.
    sign_in(bohdan, base, "bohdan")
    bohdan.goto(change)
    presence = bohdan.locator("#claim-presence")
    assert presence.get_by_text("ana has this claim open since").is_visible()
    screens.check(bohdan, "presence")
    assert not bohdan.problems, bohdan.problems

    # 4. A attributes it, attaches evidence, disputes it and submits it.
    asserts = add_inline(ana, "statements")
    autocomplete(ana, f"{asserts}-source", "Зеленський", "Volodymyr Zelensky")
    ana.locator(f"#{asserts}-stance").select_option("asserts")
    ana.locator(f"#{asserts}-stated_on").fill("2025-03-20")
    ana.locator(f"#{asserts}-quote").fill("Demidovka was shelled this morning.")
    evidence = add_inline(ana, "evidence")
    autocomplete(ana, f"{evidence}-document", "Campaign Assessment", "March 21")
    ana.locator(f"#{evidence}-stance").select_option("supports")
    screens.check(ana, "inlines-filled")
    ana.get_by_role("button", name="Save and continue editing").click()
    ana.wait_for_selector(".messagelist .success")
    screens.check(ana, "attributed")

    ana.get_by_role("link", name="Change status").click()
    ana.get_by_label("New status").select_option("disputed")
    ana.get_by_label("Rationale").fill(RATIONALE)
    ana.locator("#id_evidence input[type=checkbox]").first.check()
    screens.check(ana, "change-status")
    ana.get_by_role("button", name="Change status").click()
    ana.wait_for_selector("text=Status changed: Unverified → Disputed.")
    ana.get_by_role("button", name="Submit for review").click()
    ana.wait_for_selector(".messagelist .success")
    screens.check(ana, "submitted")
    claim.refresh_from_db()
    assert (claim.status, claim.visibility) == ("disputed", "in_review")

    # 5. The reviewer finds it awaiting review and previews it.
    sign_in(rita, base, "rita")
    awaiting = rita.locator("#desk-queues .queue-awaiting_review")
    assert awaiting.locator(".queue-count").inner_text() == "1"
    screens.check(rita, "index-rita")
    awaiting.get_by_role("link", name="Awaiting review").click()
    rita.wait_for_url(re.compile(r"queue=awaiting_review"))
    rows = rita.locator("#result_list tbody tr")
    assert rows.count() == 1
    screens.check(rita, "awaiting-review")
    rows.first.get_by_role("link", name=re.compile("shelled the village")).click()
    rita.wait_for_url(re.compile(rf"/claim/{claim.pk}/change/"))
    screens.check(rita, "in-review")
    rita.get_by_role("link", name="View on site").click()
    rita.wait_for_url(re.compile(rf"/claims/{claim.slug}/$"))
    public = rita.url
    assert rita.get_by_text("not public").first.is_visible()
    assert rita.get_by_text(CLAIM).first.is_visible()
    response = anonymous.goto(public)
    assert response.status == 404
    # That 404 is all that went wrong; the public's page is then watched anew.
    assert anonymous.problems.failed_requests == [f"404 {public}"]
    assert len(anonymous.problems.console_errors) == 1
    assert "404 (Not Found)" in anonymous.problems.console_errors[0]
    anonymous.problems.failed_requests.clear()
    anonymous.problems.console_errors.clear()

    # 6. She returns it with a note.
    rita.goto(change)
    rita.get_by_role("link", name="Return to draft…").click()
    rita.wait_for_url(re.compile(r"/return/$"))
    rita.get_by_label("Note").fill(NOTE)
    screens.check(rita, "return")
    rita.get_by_role("button", name="Return to draft").click()
    rita.wait_for_selector("text=Returned to draft:")
    screens.check(rita, "returned")

    # 7. A finds it returned to her, reads the note, answers it, resubmits.
    ana.goto(f"{base}/admin/")
    returned = ana.locator("#desk-queues .queue-returned_to_me")
    assert returned.locator(".queue-count").inner_text() == "1"
    screens.check(ana, "index-returned")
    returned.get_by_role("link", name="Returned to me").click()
    ana.wait_for_url(re.compile(r"queue=returned_to_me"))
    screens.check(ana, "returned-to-me")
    ana.get_by_role("link", name=re.compile("shelled the village")).click()
    ana.wait_for_url(re.compile(rf"/claim/{claim.pk}/change/"))
    assert ana.locator("#desk .notes").get_by_text(NOTE).is_visible()
    screens.check(ana, "note")
    denies = add_inline(ana, "statements")
    autocomplete(ana, f"{denies}-source", "Russian MoD", "Russian Ministry of Defence")
    ana.locator(f"#{denies}-stance").select_option("denies")
    ana.locator(f"#{denies}-stated_on").fill("2025-03-20")
    ana.locator(f"#{denies}-quote").fill("No shelling of Demidovka took place.")
    ana.get_by_role("button", name="Save and continue editing").click()
    ana.wait_for_selector(".messagelist .success")
    ana.get_by_role("button", name="Submit for review").click()
    ana.wait_for_selector(".messagelist .success")
    screens.check(ana, "resubmitted")
    assert sorted(claim.statements.values_list("source__slug", "stance")) == [
        ("russian-ministry-of-defence", Stance.DENIES),
        ("volodymyr-zelensky", Stance.ASSERTS),
    ]

    # 8. The reviewer publishes it after a last look.
    rita.goto(change)
    rita.get_by_role("link", name="Publish…").click()
    rita.wait_for_url(re.compile(r"/publish/$"))
    content = rita.locator("#content-main")
    assert content.locator(".badge.status-disputed").is_visible()
    assert content.get_by_text(RATIONALE).is_visible()
    preview = content.locator(f"a[href$='/claims/{claim.slug}/']")
    assert preview.is_visible()
    screens.check(rita, "publish")
    rita.get_by_role("button", name="Confirm: publish").click()
    rita.wait_for_selector("text=Published: ")
    screens.check(rita, "published")
    response = anonymous.goto(public)
    assert response.status == 200
    assert anonymous.get_by_text(CLAIM).first.is_visible()
    assert anonymous.get_by_text("Disputed").first.is_visible()
    assert not anonymous.get_by_text("not public").count()

    # 9. The claim's history reads in words.
    rita.goto(change)
    rita.get_by_role("link", name="History").click()
    rita.wait_for_url(re.compile(r"/history/$"))
    screens.check(rita, "history")
    history = rita.locator("#change-history")
    text = history.inner_text()
    for words in (
        "Submitted for review",
        "Published",
        "Status: Unverified → Disputed",
        "Returned to draft",
        "Assignee: ana",
    ):
        assert words in text, words
    assert "Visibility:" not in text
    assert "None" not in rita.locator("#content").inner_text()
    changes = history.locator("tbody tr td:last-child").all_inner_texts()
    assert len(changes) == 10
    assert all(change.strip() for change in changes), changes

    claim.refresh_from_db()
    assert (claim.status, claim.visibility) == ("disputed", "published")
    assert not screens.problems, "\n".join(screens.problems)
    for page in (ana, rita, anonymous):
        assert not page.problems, page.problems
