"""The claim list and detail are written by PostgreSQL (the serializers elsewhere),
and read exactly as ``ClaimSerializer`` and ``ClaimDetailSerializer``. Those
marked ``sqlite`` also run on the quickstart's database, where the serializers
answer themselves."""

import datetime
import json

import orjson
import pytest
from rest_framework.renderers import JSONRenderer

from claims.api.documents import claim_list_json
from claims.api.serializers import ClaimDetailSerializer, ClaimSerializer
from claims.models import Claim
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


@pytest.mark.sqlite
def test_the_list_json_is_the_serializers_for_every_kind_of_part(world):
    # given a claim with no event, a relayed statement with a time, a quote in
    # Cyrillic, a document without publisher, and places that sort by name
    relayer = SourceFactory(name="Relaying outlet", reliability="B")
    bare = PublishedClaimFactory(event=None, text="Без события.")
    bare.places.set([PlaceFactory(name="Zolochiv"), PlaceFactory(name="Arkhanhelske")])
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
    EvidenceFactory(claim=bare, document=DocumentFactory(publisher=None), note="N.")
    claims = Claim.objects.order_by("-updated_at", "-id")

    # when
    rows = orjson.loads(orjson.dumps(claim_list_json(list(claims))))
    serialized = ClaimSerializer(claims.with_attribution(), many=True).data

    # then
    assert as_json(rows) == as_json(serialized)
    assert len(rows) == 4


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
