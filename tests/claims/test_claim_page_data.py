"""The claim page's one-statement loader gives the page the ORM's prefetches give."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory

from claims.claim_page import published_claim_for_page
from claims.models import Claim, Statement, Visibility
from claims.views import claim_page_context
from tests.factories import (
    ClaimFactory,
    ClaimLinkFactory,
    DocumentFactory,
    EvidenceFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
    StatusChangeFactory,
)

pytestmark = pytest.mark.django_db

DAYS = [None, datetime.date(2025, 3, 14), datetime.date(2025, 3, 20)]


def page(claim: Claim, as_of: datetime.date | None) -> str:
    request = RequestFactory().get(claim.get_absolute_url())
    context = claim_page_context(request, claim, as_of)
    return render_to_string("claims/claim_detail.html", context, request)


def assert_same_page(slug: str) -> None:
    orm = Claim.objects.published().for_page().get(slug=slug)
    loaded = published_claim_for_page(slug)
    for as_of in DAYS:
        assert page(loaded, as_of) == page(orm, as_of), (slug, as_of)


def test_every_demo_claim_page_is_the_same_either_way():
    call_command("load_demo", stdout=StringIO())
    slugs = list(Claim.objects.published().values_list("slug", flat=True))

    assert len(slugs) >= 5
    for slug in slugs:
        assert_same_page(slug)


def test_a_claim_with_every_part_is_the_same_either_way():
    claim = PublishedClaimFactory(event=None)
    claim.places.add(PlaceFactory(name="Ж"), PlaceFactory(name="A"))
    publisher = SourceFactory(name="A wire service")
    relayed = DocumentFactory(publisher=publisher, content_sha256="ab" * 32)
    StatementFactory(claim=claim, document=relayed, stated_time=None)
    StatementFactory(claim=claim, stance="denies", stated_time=datetime.time(9, 30))
    StatementFactory(
        claim=claim, document=None, quote="Без документа", quote_language="ru"
    )
    first = EvidenceFactory(claim=claim, stance="supports")
    second = EvidenceFactory(claim=claim, stance="refutes", note="A note.")
    change = StatusChangeFactory(
        claim=claim, old_status="unverified", new_status="disputed"
    )
    change.evidence.add(second, first)
    StatusChangeFactory(
        claim=claim, old_status="disputed", new_status="confirmed", is_correction=True
    )
    ClaimLinkFactory(
        from_claim=claim, to_claim=PublishedClaimFactory(), kind="supports"
    )
    ClaimLinkFactory(from_claim=PublishedClaimFactory(), to_claim=claim, note="Why.")
    ClaimLinkFactory(from_claim=ClaimFactory(), to_claim=claim)  # a draft's link

    assert_same_page(claim.slug)


def test_a_page_is_one_query_however_much_it_shows(django_assert_num_queries):
    claim = PublishedClaimFactory()
    for _ in range(5):
        statement = StatementFactory(claim=claim)
        EvidenceFactory(claim=claim, document=statement.document)

    with django_assert_num_queries(1):
        loaded = published_claim_for_page(claim.slug)
        page(loaded, None)
        page(loaded, DAYS[-1])

    assert len(loaded.statements.all()) == Statement.objects.filter(claim=claim).count()


def test_drafts_and_unknown_slugs_are_not_loaded():
    draft = ClaimFactory()
    assert draft.visibility == Visibility.DRAFT

    assert published_claim_for_page(draft.slug) is None
    assert published_claim_for_page("no-such-claim") is None
