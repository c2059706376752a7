"""The claim list and detail are written by PostgreSQL, from the serializers'
compiled shape (``verifier.json_shape``), and read exactly as
``ClaimSerializer`` and ``ClaimDetailSerializer`` write them. Those marked
``sqlite`` also run on the quickstart's database, where the serializers
answer themselves."""

import datetime
import json

import pytest
from rest_framework.renderers import JSONRenderer

from claims.api.serializers import ClaimDetailSerializer, ClaimSerializer
from claims.models import Claim, Status
from tests.factories import (
    ClaimFactory,
    ClaimLinkFactory,
    DocumentFactory,
    EvidenceFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


def as_json(data: object) -> object:
    return json.loads(JSONRenderer().render(data))


@pytest.fixture
def every_part(world):
    """Claims with every kind of part the API shows, and the odd values."""
    relayer = SourceFactory(name="Relaying outlet", reliability="B")
    moment = datetime.datetime(2025, 3, 20, 12, 0, 0, 250, tzinfo=datetime.UTC)
    bare = PublishedClaimFactory(
        event=None,
        text='Без события: «кавычки», \\ и "экранирование".',
        status=Status.MISLEADING,
        published_at=datetime.datetime(2025, 3, 21, 8, 30, tzinfo=datetime.UTC),
        updated_at=moment,
    )
    bare.places.set([PlaceFactory(name="Zolochiv"), PlaceFactory(name="Архангельське")])
    # relayed: the document's publisher is not the source
    StatementFactory(
        claim=bare,
        source=world.source,
        document=DocumentFactory(publisher=relayer, url="", archive_url=""),
        stated_time=datetime.time(14, 30),
        quote="Наші воїни діють.",
        quote_language="uk",
        translation="Our warriors are operating.",
        is_paraphrase=True,
    )
    # not relayed: the source published the document itself
    StatementFactory(
        claim=bare,
        source=relayer,
        stance="denies",
        document=DocumentFactory(publisher=relayer, published_at=moment),
        stated_time=datetime.time(9, 5, 7, 120000),
    )
    # no document at all, and a document without a publisher, nor a date
    StatementFactory(claim=bare, source=world.other_source, document=None)
    StatementFactory(
        claim=bare, document=DocumentFactory(publisher=None, published_at=None)
    )
    EvidenceFactory(claim=bare, document=DocumentFactory(publisher=None), note="N.")
    EvidenceFactory(claim=bare, stance="refutes", note="")
    # links both ways, to published claims and to drafts
    ClaimLinkFactory(from_claim=bare, to_claim=world.published, kind="supports")
    ClaimLinkFactory(from_claim=bare, to_claim=world.draft, kind="duplicates")
    ClaimLinkFactory(from_claim=world.other, to_claim=bare, kind="contradicts")
    ClaimLinkFactory(from_claim=ClaimFactory(), to_claim=bare, kind="supersedes")
    return bare


@pytest.mark.sqlite
def test_the_list_is_the_serializers_json_for_every_kind_of_part(api, every_part):
    response = api().get("/api/v1/claims/")

    published = Claim.objects.published().with_attribution()
    expected = ClaimSerializer(published.order_by("-updated_at", "-id"), many=True)
    assert response.json()["results"] == as_json(expected.data)
    assert len(response.json()["results"]) == 3


@pytest.mark.sqlite
def test_the_detail_is_the_serializers_json_for_every_kind_of_part(
    api, every_part, editor
):
    path = f"/api/v1/claims/{every_part.slug}/"

    for user, links in ((None, 2), (editor, 4)):
        response = api(user).get(path)
        request = response.wsgi_request
        claim = (
            Claim.objects.with_attribution()
            .with_links(request.user)
            .get(pk=every_part.pk)
        )

        expected = ClaimDetailSerializer(claim, context={"request": request}).data
        assert response.json() == as_json(expected)
        assert len(response.json()["links"]) == links
        # the keys in the serializer's order, links last
        assert list(response.json()) == [*ClaimDetailSerializer.Meta.fields]


@pytest.mark.sqlite
def test_the_json_keeps_the_odd_values_as_the_serializer_writes_them(api, every_part):
    body = api().get(f"/api/v1/claims/{every_part.slug}/").json()

    assert body["text"] == every_part.text
    assert body["event"] is None
    assert body["rating_value"] == 2
    assert body["status_label"] == "Misleading"
    assert body["published_at"] == "2025-03-21T08:30:00Z"
    assert body["updated_at"] == "2025-03-20T12:00:00.000250Z"
    times = [statement["stated_time"] for statement in body["statements"]]
    assert "14:30:00" in times
    assert "09:05:07.120000" in times
    assert None in times
    relayed = [s["relayed_by"] for s in body["statements"]]
    assert [r["label"] for r in relayed if r] == ["Relaying outlet (B)"]
    assert [p["name"] for p in body["places"]] == ["Zolochiv", "Архангельське"]


@pytest.mark.sqlite
def test_the_api_list_is_the_serializers_json(api, world):
    response = api().get("/api/v1/claims/")
    published = Claim.objects.published().with_attribution()

    expected = ClaimSerializer(published.order_by("-updated_at", "-id"), many=True)
    assert response.json()["results"] == as_json(expected.data)


@pytest.mark.parametrize("n", [10, 100])
def test_an_anonymous_list_page_is_three_queries(api, n, django_assert_num_queries):
    for _ in range(n):
        claim = PublishedClaimFactory()
        claim.places.set([PlaceFactory()])
        StatementFactory(claim=claim)
        EvidenceFactory(claim=claim)
    client = api()

    # the page of claims, then their JSON with every part; the throttle
    with django_assert_num_queries(3):
        response = client.get("/api/v1/claims/?page_size=100")

    assert len(response.json()["results"]) == n


@pytest.mark.sqlite
def test_the_api_detail_is_the_serializers_json(api, world, editor):
    # given links both ways, and one to a draft only staff may see
    ClaimLinkFactory(from_claim=PublishedClaimFactory(), to_claim=world.published)
    ClaimLinkFactory(from_claim=world.published, to_claim=ClaimFactory())
    path = f"/api/v1/claims/{world.published.slug}/"

    for user in (None, editor):
        response = api(user).get(path)
        request = response.wsgi_request
        claim = (
            Claim.objects.with_attribution()
            .with_links(request.user)
            .get(pk=world.published.pk)
        )

        expected = ClaimDetailSerializer(claim, context={"request": request}).data
        assert response.json() == as_json(expected)
    assert len(response.json()["links"]) == 3


@pytest.mark.parametrize("n", [10, 100])
def test_a_claim_detail_is_one_query_and_the_throttle(
    api, n, django_assert_num_queries
):
    claim = PublishedClaimFactory()
    for _ in range(n):
        StatementFactory(claim=claim)
        EvidenceFactory(claim=claim)
        ClaimLinkFactory(from_claim=claim, to_claim=PublishedClaimFactory())
    client = api()

    # the claim's JSON with every part, and the throttle's counter
    with django_assert_num_queries(2):
        response = client.get(f"/api/v1/claims/{claim.slug}/")

    body = response.json()
    assert [len(body[part]) for part in ("statements", "evidence", "links")] == [n] * 3


@pytest.mark.sqlite
def test_a_draft_or_a_missing_claim_is_a_404(api, world):
    for slug in (world.draft.slug, "no-such-claim"):
        response = api().get(f"/api/v1/claims/{slug}/")
        assert response.status_code == 404, slug
        assert response.json()["code"] == "not_found"


def test_the_browsable_api_shows_the_claim_json(api, world, editor):
    response = api(editor).get(
        f"/api/v1/claims/{world.published.slug}/", HTTP_ACCEPT="text/html"
    )

    assert response.status_code == 200
    assert world.published.slug in response.content.decode()
