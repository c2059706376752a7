"""No lost updates: claim writes carry the ETag they were based on.

A write to an existing claim or one of its parts without ``If-Match`` is a 428,
with an outdated one a 412; either way nothing is written. A conditional GET
with the current ETag is a 304.
"""

import pytest

from claims.models import Claim, Statement, StatusChange

pytestmark = pytest.mark.django_db


def claim_path(claim) -> str:
    return f"/api/v1/claims/{claim.slug}/"


def test_claim_responses_carry_the_version_as_etag(api, world):
    response = api().get(claim_path(world.published))

    assert response["ETag"] == f'"{world.published.pk}.{world.published.version}"'
    assert response.json()["version"] == world.published.version


def test_if_none_match_with_the_current_etag_is_not_modified(api, world):
    etag = api().get(claim_path(world.published))["ETag"]

    response = api().get(claim_path(world.published), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response.content == b""


def test_a_304_costs_one_query(api, world, django_assert_num_queries):
    etag = api().get(claim_path(world.published))["ETag"]
    client = api()

    # the claim's version, and the throttle's counter
    with django_assert_num_queries(2):
        response = client.get(claim_path(world.published), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def test_if_none_match_on_a_draft_is_a_404_for_the_public(api, world):
    etag = f'"{world.draft.pk}.{world.draft.version}"'

    response = api().get(claim_path(world.draft), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 404


def test_if_none_match_with_an_old_etag_gets_the_claim(api, world, editor):
    old = api().get(claim_path(world.published))["ETag"]
    api(editor).patch(
        claim_path(world.published), {"text": "New words."}, HTTP_IF_MATCH=old
    )

    response = api().get(claim_path(world.published), HTTP_IF_NONE_MATCH=old)

    assert response.status_code == 200
    assert response["ETag"] != old
    assert response.json()["text"] == "New words."


def test_parts_share_their_claims_etag_and_answer_conditional_gets(api, world):
    etag = api().get(claim_path(world.published))["ETag"]
    path = f"/api/v1/statements/{world.statement.pk}/"

    assert api().get(path)["ETag"] == etag
    assert api().get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304


WRITES = [
    ("patch", lambda w: claim_path(w.published), {"text": "Reworded."}),
    (
        "post",
        lambda w: claim_path(w.published) + "status/",
        {"status": "unverified", "rationale": "Back to square one."},
    ),
    ("post", lambda w: claim_path(w.draft) + "publish/", None),
    ("delete", lambda w: claim_path(w.draft), None),
    ("patch", lambda w: f"/api/v1/statements/{w.statement.pk}/", {"quote": "New."}),
    ("delete", lambda w: f"/api/v1/statements/{w.statement.pk}/", None),
]


def state():
    return (
        list(Claim.objects.order_by("pk").values()),
        list(Statement.objects.order_by("pk").values()),
        StatusChange.objects.count(),
        Claim.history.count(),
    )


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_write_without_if_match_is_refused_with_428(
    api, world, reviewer, method, path, body
):
    before = state()

    response = getattr(api(reviewer), method)(path(world), body, format="json")

    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert state() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_write_with_a_stale_if_match_is_refused_with_412(
    api, world, reviewer, other_editor, method, path, body
):
    stale = world.published.etag if "draft" not in path(world) else world.draft.etag
    # Someone else changes the claim first.
    target = world.draft if "draft" in path(world) else world.published
    api(other_editor).patch(
        claim_path(target), {"text": "Their words."}, HTTP_IF_MATCH=target.etag
    )
    before = state()

    response = getattr(api(reviewer), method)(
        path(world), body, format="json", HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412, response.content
    assert response.json()["code"] == "stale_version"
    assert state() == before


def test_a_stale_write_says_who_changed_the_claim_and_gives_the_new_etag(
    api, world, editor, other_editor
):
    stale = world.published.etag
    api(other_editor).patch(
        claim_path(world.published), {"text": "Theirs."}, HTTP_IF_MATCH=stale
    )

    response = api(editor).patch(
        claim_path(world.published), {"text": "Mine."}, HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412
    assert "other-editor" in response.json()["detail"]
    assert response["ETag"] == api().get(claim_path(world.published))["ETag"]


def test_an_etag_of_another_claim_does_not_match(api, world, editor):
    response = api(editor).patch(
        claim_path(world.published), {"text": "Mine."}, HTTP_IF_MATCH=world.other.etag
    )

    assert response.status_code == 412


@pytest.mark.parametrize("header", ["garbage", '"1"', "W/", '""', '"9.9.9"'])
def test_a_malformed_if_match_is_a_412_not_an_error(api, world, editor, header):
    response = api(editor).patch(
        claim_path(world.published), {"text": "Mine."}, HTTP_IF_MATCH=header
    )

    assert response.status_code == 412


def test_a_weak_or_listed_etag_is_accepted(api, world, editor):
    header = f'"0.1", W/{world.published.etag}'

    response = api(editor).patch(
        claim_path(world.published), {"text": "Mine."}, HTTP_IF_MATCH=header
    )

    assert response.status_code == 200


def test_each_write_returns_the_next_etag_to_chain_writes(api, world, editor):
    client = api(editor)
    etag = client.get(claim_path(world.published))["ETag"]

    first = client.patch(
        claim_path(world.published), {"text": "One."}, HTTP_IF_MATCH=etag
    )
    second = client.patch(
        f"/api/v1/statements/{world.statement.pk}/",
        {"quote": "Two."},
        HTTP_IF_MATCH=first["ETag"],
    )
    third = client.post(
        claim_path(world.published) + "status/",
        {"status": "unverified", "rationale": "Reopened."},
        HTTP_IF_MATCH=second["ETag"],
    )

    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert third.json()["version"] == world.published.version + 3
    assert third["ETag"] == f'"{world.published.pk}.{world.published.version + 3}"'


def test_adding_a_part_needs_the_claims_etag(api, world, editor):
    body = {
        "claim": world.published.slug,
        "document": world.spare_document.pk,
        "stance": "context",
    }
    client = api(editor)

    assert client.post("/api/v1/evidence/", body).status_code == 428
    assert (
        client.post(
            "/api/v1/evidence/", body, HTTP_IF_MATCH=world.other.etag
        ).status_code
        == 412
    )
    created = client.post("/api/v1/evidence/", body, HTTP_IF_MATCH=world.published.etag)
    assert created.status_code == 201
    assert created["ETag"] == f'"{world.published.pk}.{world.published.version + 1}"'


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_with_the_same_etag_cannot_both_win(editor, other_editor):
    """Eight clients race to edit from the same version: one wins, seven get 412."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    from tests.factories import ClaimFactory

    claim = ClaimFactory(slug="raced")
    tokens = [AuthToken.objects.create(user=editor)[1] for _ in range(8)]

    def write(n: int) -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[n]}")
        try:
            return client.patch(
                "/api/v1/claims/raced/",
                {"text": f"Version {n}"},
                HTTP_IF_MATCH=claim.etag,
            ).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(write, range(8)))

    assert codes == [200] + [412] * 7
    claim.refresh_from_db()
    assert claim.version == 2
