"""The desk in a real browser: the closest claims appear under the text as an
editor types, a saved claim links one as a duplicate in one click, and another
editor on the same claim sees who has it open; no console errors."""

import pytest

from claims.models import Claim, ClaimLink
from tests.browser.test_editor_day import desk, sign_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_closest_claims_appear_while_typing(live_server, page, desk):  # noqa: F811
    base = live_server.url
    sign_in(page, base, "desk-editor")
    page.goto(f"{base}/admin/claims/claim/add/")

    page.locator("#id_text").press_sequentially("Fighting in Demydivka village")

    panel = page.locator("#claim-similar")
    panel.get_by_role("link", name="Fighting took place inside the village").wait_for()
    assert panel.locator(".badge").first.is_visible()
    assert not page.problems, page.problems


def test_link_as_duplicate_and_who_else_has_it_open(
    live_server,
    browser,
    page,
    desk,  # noqa: F811
):
    base = live_server.url
    claim = Claim.objects.get(
        slug="ukrainian-troops-consolidating-near-demidovka-and-prilesye"
    )
    url = f"{base}/admin/claims/claim/{claim.pk}/change/"
    other = browser.new_context().new_page()
    sign_in(other, base, "desk-reviewer")
    other.goto(url)
    sign_in(page, base, "desk-editor")

    page.goto(url)

    assert (
        page.locator("#claim-presence")
        .get_by_text("desk-reviewer has this claim open since")
        .is_visible()
    )
    suggestion = page.locator("#claim-similar li").first
    suggestion.wait_for()
    suggestion.get_by_role("button", name="Link as duplicate").click()
    page.wait_for_selector("text=Linked as a duplicate of")
    assert ClaimLink.objects.filter(from_claim=claim, kind="duplicates").count() == 1
    assert not page.problems, page.problems
    other.context.close()
