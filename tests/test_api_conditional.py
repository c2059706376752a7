"""Every editable resource has an ETag and honours If-Match; a write that
changes nothing makes no new version.

Claims and their parts need ``If-Match`` (428 without it: they are the record
of a verdict); sources, documents, events and places take it when sent. An
outdated one is a 412 everywhere, and nothing is written.
"""

import pytest

from claims.models import Claim, Event, Place
from sources.models import Document, Source
from tests.factories import (
    ClaimLinkFactory,
    DocumentFactory,
    EventFactory,
    EvidenceFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

# resource, factory, lookup, a change that a reader would notice
REFERENCE = [
    ("sources", SourceFactory, "slug", {"reliability": "A"}),
    ("documents", DocumentFactory, "pk", {"title": "Retitled"}),
    ("events", EventFactory, "slug", {"summary": "Now with a summary."}),
    ("places", PlaceFactory, "slug", {"name": "Renamed"}),
]


def address(resource: str, obj, lookup: str) -> str:
    return f"/api/v1/{resource}/{getattr(obj, lookup)}/"


@pytest.fixture
def editor_client(api, editor):
    return api(editor)


@pytest.fixture
def admin_client(api, superuser):
    return api(superuser)


@pytest.mark.parametrize(("resource", "factory", "lookup", "change"), REFERENCE)
def test_a_reference_object_answers_with_its_etag_and_304(
    editor_client, resource, factory, lookup, change
):
    obj = factory()

    response = editor_client.get(address(resource, obj, lookup))
    again = editor_client.get(
        address(resource, obj, lookup), HTTP_IF_NONE_MATCH=response["ETag"]
    )

    assert response["ETag"] == f'"{obj.pk}.1"'
    assert again.status_code == 304


@pytest.mark.parametrize(("resource", "factory", "lookup", "change"), REFERENCE)
def test_a_write_with_an_outdated_if_match_is_a_412_and_writes_nothing(
    admin_client, resource, factory, lookup, change
):
    editor_client = admin_client
    obj = factory()
    path = address(resource, obj, lookup)
    etag = editor_client.get(path)["ETag"]
    # given someone else changed it since
    first = editor_client.patch(path, change, HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    assert first["ETag"] == f'"{obj.pk}.2"'

    stale = editor_client.patch(path, {"slug": "stale-write"}, HTTP_IF_MATCH=etag)
    gone = editor_client.delete(path, HTTP_IF_MATCH=etag)

    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    assert gone.status_code == 412
    obj.refresh_from_db()
    assert obj.version == 2
    assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize(("resource", "factory", "lookup", "change"), REFERENCE)
def test_a_write_with_the_current_if_match_or_none_goes_through(
    editor_client, resource, factory, lookup, change
):
    obj = factory()
    path = address(resource, obj, lookup)

    with_tag = editor_client.patch(
        path, change, HTTP_IF_MATCH=editor_client.get(path)["ETag"]
    )
    obj.refresh_from_db()
    path = address(resource, obj, lookup)
    without = editor_client.patch(
        path, {"description": ""} if resource == "sources" else {}
    )

    assert with_tag.status_code == 200
    assert without.status_code == 200


def test_a_source_s_grade_cannot_be_changed_over_a_newer_one(editor_client):
    source = SourceFactory(reliability="C")
    path = address("sources", source, "slug")
    etag = editor_client.get(path)["ETag"]
    editor_client.patch(path, {"reliability": "E"}, HTTP_IF_MATCH=etag)

    response = editor_client.patch(path, {"reliability": "A"}, HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    source.refresh_from_db()
    assert source.reliability == "E"


@pytest.mark.parametrize(
    ("resource", "factory", "lookup", "model"),
    [
        ("sources", SourceFactory, "slug", Source),
        ("documents", DocumentFactory, "pk", Document),
        ("events", EventFactory, "slug", Event),
        ("places", PlaceFactory, "slug", Place),
    ],
)
def test_an_empty_or_unchanged_patch_of_a_reference_object_is_no_new_version(
    editor_client, resource, factory, lookup, model
):
    obj = factory()
    path = address(resource, obj, lookup)
    before = editor_client.get(path)
    unchanged = {
        name: value
        for name, value in before.json().items()
        if name not in {"id", "created_at", "updated_at", "label"}
        and not isinstance(value, dict | list)
    }
    history = obj.history.count()

    responses = [
        editor_client.patch(path, {}, HTTP_IF_MATCH=before["ETag"]),
        editor_client.patch(path, unchanged, HTTP_IF_MATCH=before["ETag"]),
    ]

    assert [r.status_code for r in responses] == [200, 200]
    assert [r["ETag"] for r in responses] == [before["ETag"]] * 2
    assert obj.history.count() == history
    assert model.objects.get(pk=obj.pk).version == 1


def test_an_empty_or_unchanged_patch_of_a_claim_is_no_new_version(editor_client):
    claim = PublishedClaimFactory()
    path = f"/api/v1/claims/{claim.slug}/"
    before = editor_client.get(path)
    body = before.json()
    history = claim.history.count()

    responses = [
        editor_client.patch(path, {}, HTTP_IF_MATCH=before["ETag"]),
        editor_client.patch(
            path,
            {
                "text": body["text"],
                "event": body["event"]["slug"],
                "places": [],
            },
            HTTP_IF_MATCH=before["ETag"],
        ),
    ]

    assert [r.status_code for r in responses] == [200, 200]
    assert [r["ETag"] for r in responses] == [before["ETag"]] * 2
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.version, stored.updated_at) == (1, claim.updated_at)
    assert claim.history.count() == history


@pytest.mark.parametrize(
    ("resource", "make", "same"),
    [
        (
            "statements",
            lambda claim: StatementFactory(claim=claim),
            lambda part: {"quote": part.quote, "stance": part.stance},
        ),
        (
            "evidence",
            lambda claim: EvidenceFactory(claim=claim),
            lambda part: {"note": part.note, "stance": part.stance},
        ),
        (
            "links",
            lambda claim: ClaimLinkFactory(
                from_claim=claim, to_claim=PublishedClaimFactory()
            ),
            lambda part: {"kind": part.kind},
        ),
    ],
)
def test_an_empty_or_unchanged_patch_of_a_part_is_no_new_claim_version(
    editor_client, resource, make, same
):
    claim = PublishedClaimFactory()
    part = make(claim)
    etag = f'"{claim.pk}.{Claim.objects.get(pk=claim.pk).version}"'
    path = f"/api/v1/{resource}/{part.pk}/"
    history = part.history.count()

    responses = [
        editor_client.patch(path, {}, HTTP_IF_MATCH=etag),
        editor_client.patch(path, same(part), HTTP_IF_MATCH=etag),
    ]

    assert [r.status_code for r in responses] == [200, 200]
    assert [r["ETag"] for r in responses] == [etag] * 2
    assert f'"{claim.pk}.{Claim.objects.get(pk=claim.pk).version}"' == etag
    assert part.history.count() == history
