"""A page of the claim list has an ETag: the same page again is a 304, in one
query; a changed, added or hidden claim, or another page, is a new ETag."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.models import Claim
from tests.factories import ClaimFactory, PublishedClaimFactory, StatementFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/claims/"


def test_a_list_page_carries_an_etag_and_answers_if_none_match(api, world):
    first = api().get(LIST)

    again = api().get(LIST, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert first["ETag"].startswith('"')
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again.content == b""


def test_a_weak_or_listed_etag_matches_too(api, world):
    etag = api().get(LIST)["ETag"]

    for header in (f"W/{etag}", f'"other", {etag}', "*"):
        assert api().get(LIST, HTTP_IF_NONE_MATCH=header).status_code == 304, header


@pytest.mark.parametrize("n", [10, 100])
def test_a_list_304_costs_one_query_and_the_throttle(api, n, django_assert_num_queries):
    for _ in range(n):
        StatementFactory(claim=PublishedClaimFactory())
    client = api()
    etag = client.get(f"{LIST}?page_size=100")["ETag"]

    # the page's ids and versions, and the throttle's counter (in Redis
    # instead, when REDIS_URL is set)
    with django_assert_num_queries(2):
        response = client.get(f"{LIST}?page_size=100", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def test_a_change_to_a_claim_on_the_page_changes_the_etag(api, world, editor):
    old = api().get(LIST)["ETag"]
    claim_etag = api(editor).get(f"{LIST}{world.published.slug}/")["ETag"]
    api(editor).patch(
        f"{LIST}{world.published.slug}/", {"text": "New."}, HTTP_IF_MATCH=claim_etag
    )

    response = api().get(LIST, HTTP_IF_NONE_MATCH=old)

    assert response.status_code == 200
    assert response["ETag"] != old
    assert response.json()["results"][0]["text"] == "New."


def test_a_new_claim_another_page_or_another_reader_is_another_etag(api, world, editor):
    anonymous = api().get(LIST)["ETag"]
    staff = api(editor).get(LIST)["ETag"]
    filtered = api().get(f"{LIST}?status=unverified")["ETag"]
    PublishedClaimFactory()

    assert staff != anonymous  # the editor's page also holds the draft
    assert filtered != anonymous
    assert api().get(LIST, HTTP_IF_NONE_MATCH=anonymous).status_code == 200


def test_a_malformed_if_none_match_is_ignored(api, world):
    for header in ("", "garbage", '"unterminated', "W/", "\x7f"):
        assert api().get(LIST, HTTP_IF_NONE_MATCH=header).status_code == 200


def test_an_unknown_parameter_is_refused_not_ignored(api, world):
    unknown = api().get(f"{LIST}?utm_source=feed")

    assert unknown.status_code == 400
    assert "utm_source" in unknown.json()["errors"]


@pytest.fixture
def crowded(world):
    """More claims than a page holds, many changed at the same instant, and
    drafts among them: the first page's order and visibility both matter."""
    claims = [PublishedClaimFactory() for _ in range(55)]
    claims += [ClaimFactory() for _ in range(5)]
    moment = timezone.now()
    Claim.objects.filter(pk__in=[claim.pk for claim in claims[::2]]).update(
        updated_at=moment
    )
    return claims


@pytest.mark.parametrize("role", [None, "editor"])
def test_the_default_pages_304_matches_the_etag_of_its_200(api, crowded, role, request):
    client = api(request.getfixturevalue(role) if role else None)
    etag = client.get(LIST)["ETag"]

    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    # Besides the token's and the throttle's: the page's ids and versions.
    data = [
        query["sql"]
        for query in queries.captured_queries
        if not any(
            table in query["sql"]
            for table in ("knox_authtoken", "auth_user", "verifier_ratecounter")
        )
    ]
    assert data == [
        f"EXECUTE verifier_claim_first_page ({'true' if role else 'false'}, 50)"
    ]


def test_the_default_page_is_a_200_once_a_claim_on_it_changes(api, crowded):
    etag = api().get(LIST)["ETag"]
    newest = Claim.objects.published().order_by("-updated_at", "-id").first()
    Claim.objects.filter(pk=newest.pk).update(version=F("version") + 1)

    response = api().get(LIST, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert api().get(LIST, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_the_default_pages_304_is_the_same_without_prepared_statements(
    api, crowded, settings
):
    etag = api().get(LIST)["ETag"]
    settings.DATABASE_PREPARED_STATEMENTS = False

    assert api().get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 304
