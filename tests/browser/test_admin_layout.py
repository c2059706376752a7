"""Every admin page fits a 1366 px laptop screen without scrolling sideways,
and passes axe-core without serious or critical findings, on the demo data.

Screenshots of each page are kept in test-artifacts/ to be looked at, with
the public claim page at a phone's 390 px besides.
"""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from claims.models import Claim, StatusChange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-layout-password-42"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SERIOUS = {"serious", "critical"}


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    UserFactory(username="root", is_staff=True, is_superuser=True, password=PASSWORD)


def admin_pages() -> list[tuple[str, str]]:
    """(name, address) of every changelist, add page and a change page of
    each model, and the claim's change-status and History pages."""
    pages = []
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        meta = model._meta
        if meta.app_label not in {"claims", "sources"}:
            continue
        name = f"{meta.app_label}_{meta.model_name}"
        pages.append((f"{name}-list", reverse(f"admin:{name}_changelist")))
        if model is not StatusChange:  # written by the change-status form only
            pages.append((f"{name}-add", reverse(f"admin:{name}_add")))
        first = model.objects.order_by("pk").first()
        pages.append(
            (f"{name}-change", reverse(f"admin:{name}_change", args=[first.pk]))
        )
    claim = Claim.objects.get(slug="ukrainian-forces-operating-in-belgorod-region")
    pages += [
        ("claim-status", reverse("admin:claims_claim_status", args=[claim.pk])),
        ("claim-history", reverse("admin:claims_claim_history", args=[claim.pk])),
    ]
    return pages


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def test_every_admin_page_fits_a_laptop_screen(
    live_server, browser, artifacts, axe, demo
):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, live_server.url)
    problems = []

    for name, path in admin_pages():
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        page.screenshot(path=artifacts / f"{name}.png", full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        if overflow > 0:
            problems.append(f"{path} scrolls sideways by {overflow} px")
        # A list's table scrolls inside its box rather than the page: every
        # column of every list is in view all the same.
        hidden = page.evaluate(
            "(() => { const r = document.querySelector('#changelist .results');"
            " return r ? r.scrollWidth - r.clientWidth : 0; })()"
        )
        if hidden > 0:
            problems.append(f"{path} hides {hidden} px of its list to the right")
        problems += [
            f"{path}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes'][:3]}"
            for v in axe(page)
            if v["impact"] in SERIOUS
        ]

    context.close()
    assert not problems, "\n".join(problems)


def test_the_public_claim_page_on_a_phone(live_server, browser, artifacts, demo):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()

    for name, slug in (
        ("claim-confirmed", "ukrainian-forces-operating-in-belgorod-region"),
        ("claim-refuted", "all-ukrainian-incursions-into-belgorod-repelled"),
    ):
        response = page.goto(f"{live_server.url}/claims/{slug}/")
        assert response.status == 200
        page.screenshot(path=artifacts / f"{name}-390.png", full_page=True)

    context.close()
