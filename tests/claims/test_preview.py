"""A draft's preview: staff who may view claims read a draft's public page at
its own address, marked as not public; nobody else learns that it exists."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from claims import services
from claims.models import Claim
from claims.views import claim_detail
from tests.factories import (
    ClaimFactory,
    EvidenceFactory,
    PublishedClaimFactory,
    StatementFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BANNER = "Draft — not public"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def draft():
    return ClaimFactory(text="A claim still being checked.")


def test_anonymous_readers_and_non_staff_get_a_404(draft, reader):
    non_staff_with_permission = UserFactory(username="outsider")
    non_staff_with_permission.user_permissions.add(
        *Permission.objects.filter(codename="view_claim")
    )
    for client in (
        Client(),
        signed_in(reader),
        signed_in(non_staff_with_permission),
    ):
        response = client.get(draft.get_absolute_url())
        assert response.status_code == 404
        assert draft.text not in response.content.decode()


def test_staff_without_the_claims_view_permission_get_a_404(draft):
    bare_staff = UserFactory(username="bare-staff", is_staff=True)
    assert signed_in(bare_staff).get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("role", ["editor", "reviewer", "superuser"])
def test_staff_see_the_draft_marked_private_and_unindexed(draft, role, request):
    user = request.getfixturevalue(role)

    response = signed_in(user).get(draft.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert draft.text in html
    assert BANNER in html
    assert '<meta name="robots" content="noindex">' in html
    assert response["X-Robots-Tag"] == "noindex"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert "public" not in cache_control
    assert not response.has_header("ETag")
    # No structured data invites a search engine to read a draft as a review.
    assert "application/ld+json" not in html


def test_a_past_day_of_a_draft_is_previewed_too(draft, editor):
    response = signed_in(editor).get(draft.get_absolute_url() + "?as_of=2025-03-20")
    assert response.status_code == 200
    assert BANNER in response.content.decode()


def test_the_banner_names_the_claims_visibility(draft, editor):
    html = signed_in(editor).get(draft.get_absolute_url()).content.decode()
    assert f"{draft.get_visibility_display()} — not public" in html


def test_after_a_preview_the_public_still_gets_a_404(draft, editor):
    assert signed_in(editor).get(draft.get_absolute_url()).status_code == 200

    response = Client().get(draft.get_absolute_url())

    assert response.status_code == 404
    assert BANNER not in response.content.decode()


def test_a_preview_is_never_stored_even_for_a_request_without_a_session(draft, editor):
    """The page cache keeps pages only for requests without a session cookie;
    a preview made for such a request (a signed-in reader some other way) is
    still never stored, so the next anonymous reader gets a 404."""
    request = RequestFactory().get(draft.get_absolute_url())
    request.user = editor

    response = claim_detail(request, slug=draft.slug)

    assert response.status_code == 200
    assert BANNER in response.content.decode()
    assert Client().get(draft.get_absolute_url()).status_code == 404


def test_staff_on_a_published_claim_get_the_public_page(editor):
    claim = PublishedClaimFactory(text="A claim the public reads.")
    anonymous = Client().get(claim.get_absolute_url())  # now in the page cache

    response = signed_in(editor).get(claim.get_absolute_url())

    assert response.status_code == 200
    assert BANNER not in response.content.decode()
    assert "public" in response["Cache-Control"]
    assert not response.has_header("X-Robots-Tag")
    assert BANNER not in anonymous.content.decode()
    # And the anonymous page served from the cache is still not a preview.
    again = Client().get(claim.get_absolute_url())
    assert again.content == anonymous.content


def test_unpublishing_makes_the_cached_page_unreachable(reviewer):
    claim = PublishedClaimFactory(text="Published, then withdrawn.")
    assert Client().get(claim.get_absolute_url()).status_code == 200

    services.unpublish_claim(claim, by=reviewer)

    assert Client().get(claim.get_absolute_url()).status_code == 404
    html = signed_in(reviewer).get(claim.get_absolute_url()).content.decode()
    assert BANNER in html


def test_the_admins_view_on_site_leads_to_the_preview(draft, editor):
    client = signed_in(editor)
    change = client.get(f"/admin/claims/claim/{draft.pk}/change/")
    claim_type = ContentType.objects.get_for_model(Claim).pk
    view_on_site = f"/admin/r/{claim_type}/{draft.pk}/"
    assert f'href="{view_on_site}"' in change.content.decode()

    shortcut = client.get(view_on_site)

    assert shortcut.status_code == 302
    assert shortcut["Location"].endswith(draft.get_absolute_url())
    assert BANNER in client.get(draft.get_absolute_url()).content.decode()


def _preview_queries(client: Client, claim) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(claim.get_absolute_url()).status_code == 200
    return len(queries)


def test_the_previews_query_count_does_not_grow_with_the_claims_parts(editor):
    client = signed_in(editor)
    small, large = ClaimFactory(), ClaimFactory()
    for claim, parts in ((small, 1), (large, 10)):
        StatementFactory.create_batch(parts, claim=claim, stance="asserts")
        StatementFactory.create_batch(parts, claim=claim, stance="denies")
        EvidenceFactory.create_batch(parts, claim=claim)
    caches["pages"].clear()
    _preview_queries(client, small)  # the session and permissions, warmed

    assert _preview_queries(client, large) == _preview_queries(client, small)
