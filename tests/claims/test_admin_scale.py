"""The admin at archive scale: every change list, its search, each filter,
"Show counts" and a change page take the same queries for 10 and 100 claims;
the claim search is the API's; filters over thousands of rows are search
boxes; counts past a limit say they are estimates."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.admin import scale
from claims.models import Claim, Place
from sources.models import Document, Source
from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    EvidenceFactory,
    PlaceFactory,
    SourceFactory,
    StatementFactory,
    StatusChangeFactory,
)

pytestmark = pytest.mark.django_db

CLAIMS = reverse("admin:claims_claim_changelist")


def changelist(model: str) -> str:
    return reverse(f"admin:{model.replace('.', '_')}_changelist")


@pytest.fixture
def region(db) -> Place:
    return PlaceFactory(name="Belgorod Oblast", kind="region")


def grow(n: int, region: Place, source: Source) -> None:
    """``n`` claims about a village of ``region`` (Demidovka, Демидовка), each
    with a statement of ``source`` and a piece of evidence."""
    for _ in range(n):
        village = PlaceFactory(
            name="Demidovka", parent=region, alternate_names=["Демидовка"]
        )
        claim = ClaimFactory(text="Shelling reported near the border crossing.")
        claim.places.add(village)
        document = DocumentFactory(publisher=source, title="Border strike report")
        StatementFactory(claim=claim, source=source, document=document)
        EvidenceFactory(claim=claim, document=document)


def pages(region: Place, source: Source) -> dict[str, str]:
    claim = Claim.objects.order_by("-pk").first()
    document = Document.objects.order_by("-pk").first()
    assert claim is not None
    assert document is not None
    found = {
        "claims": CLAIMS,
        "claims, Latin search": f"{CLAIMS}?q=Demidovka",
        "claims, Cyrillic search": f"{CLAIMS}?q=Демидовка",
        "claims, status": f"{CLAIMS}?status__exact=unverified",
        "claims, visibility": f"{CLAIMS}?visibility__exact=draft",
        "claims, event": f"{CLAIMS}?event__id__exact={claim.event_id}",
        "claims, source": f"{CLAIMS}?statements__source__id__exact={source.pk}",
        "claims, stance": f"{CLAIMS}?stance=asserts",
        "claims, grade": f"{CLAIMS}?statements__source__reliability__exact=C",
        "claims, place within": f"{CLAIMS}?within={region.pk}",
        "claims, show counts": f"{CLAIMS}?_facets=True",
        "claim change page": reverse("admin:claims_claim_change", args=[claim.pk]),
        "document change page": reverse(
            "admin:sources_document_change", args=[document.pk]
        ),
        # with its latest 50 statements, of 10 and then of 100
        "source change page": reverse("admin:sources_source_change", args=[source.pk]),
    }
    for model in (
        "claims.statement",
        "claims.evidence",
        "claims.statuschange",
        "claims.claimlink",
        "claims.place",
        "claims.event",
        "sources.source",
        "sources.document",
    ):
        url = changelist(model)
        found[model] = url
        found[f"{model}, search"] = f"{url}?q=Demidovka"
        found[f"{model}, show counts"] = f"{url}?_facets=True"
    return found


def test_every_admin_page_takes_the_same_queries_for_10_and_100_claims(
    client, superuser, region
):
    source = SourceFactory(name="Regional governor")
    grow(10, region, source)
    client.force_login(superuser)
    few = {}
    for name, url in pages(region, source).items():
        client.get(url)  # warms the session and the content types
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        few[name] = len(queries)

    grow(90, region, source)
    many = {}
    for name, url in pages(region, source).items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        many[name] = len(queries)

    assert many == few


def test_the_claim_search_is_the_apis_in_any_script(client, editor, region):
    source = SourceFactory()
    grow(1, region, source)
    other = ClaimFactory(text="A bridge was closed in the capital.")
    client.force_login(editor)

    for term in ("Demidovka", "Демидовка", "Demidovke"):
        response = client.get(CLAIMS, {"q": term})
        assert response.status_code == 200
        assert "Shelling reported near the border" in response.text, term
        assert other.text not in response.text


def test_a_search_of_nothing_but_operators_lists_nothing_and_does_not_fail(
    client, editor
):
    ClaimFactory()
    client.force_login(editor)

    response = client.get(CLAIMS, {"q": '"" -'})

    assert response.status_code == 200
    assert "0 claims" in response.text


def test_thousands_of_sources_and_places_are_search_boxes_not_lists(
    client, editor, region
):
    """With thousands of choices "Show counts" once asked PostgreSQL for a
    column per source and got "target lists can have at most 1664 entries"."""
    Source.objects.bulk_create(
        Source(
            name=f"Channel {n}",
            slug=f"channel-{n}",
            kind="media",
            affiliation="independent",
            reliability="C",
        )
        for n in range(1700)
    )
    Place.objects.bulk_create(
        Place(name=f"Hamlet {n}", slug=f"hamlet-{n}", kind="village", parent=region)
        for n in range(1700)
    )
    grow(2, region, Source.objects.get(slug="channel-1699"))
    client.force_login(editor)

    for url in (CLAIMS, f"{CLAIMS}?_facets=True"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Channel 17" not in response.text  # no option per source
        assert "Hamlet 17" not in response.text
        assert 'data-field-name="source"' in response.text
        assert 'data-field-name="places"' in response.text

    last = Source.objects.get(slug="channel-1699")
    chosen = client.get(CLAIMS, {"statements__source__id__exact": last.pk})
    # the chosen source is shown in its box, and its claims are listed
    assert "Channel 1699" in chosen.text
    assert "2 claims" in chosen.text


def test_the_filter_boxes_ask_the_admins_autocomplete(client, editor, region):
    SourceFactory(name="Regional governor")
    client.force_login(editor)

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "claims",
            "model_name": "statement",
            "field_name": "source",
            "term": "governor",
        },
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Regional governor"]


def test_a_place_finds_the_claims_of_the_places_inside_it(client, editor, region):
    grow(2, region, SourceFactory())
    ClaimFactory(text="Elsewhere entirely.")
    client.force_login(editor)

    response = client.get(CLAIMS, {"within": region.pk})

    assert response.status_code == 200
    assert "2 claims" in response.text
    assert "Belgorod Oblast" in response.text  # the chosen place, in its box


@pytest.mark.parametrize(
    "query",
    [
        {"within": "abc"},
        {"within": "-1"},
        {"statements__source__id__exact": "abc"},
        {"event__id__exact": "99999999999999999999"},
        {"stance": "sideways"},
    ],
)
def test_bad_filter_values_are_no_server_error(client, editor, query):
    ClaimFactory()
    client.force_login(editor)

    response = client.get(CLAIMS, query)

    assert response.status_code in (200, 302)


def test_past_the_limit_the_count_is_an_estimate_labelled_as_one(
    client, editor, monkeypatch
):
    ClaimFactory.create_batch(12)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    monkeypatch.setattr(scale, "EXACT_COUNT_LIMIT", 5)
    client.force_login(editor)

    response = client.get(CLAIMS)

    assert response.status_code == 200
    # the planner's estimate (after ANALYZE, the table's 12 rows)
    assert re.search(r"about 1\d claims", response.text)


def test_below_the_limit_the_count_is_exact(client, editor):
    ClaimFactory.create_batch(3)
    client.force_login(editor)

    response = client.get(CLAIMS)

    assert "3 claims" in response.text
    assert "about " not in response.text


def test_facet_counts_stop_at_their_limit_and_say_so(client, editor, monkeypatch):
    ClaimFactory.create_batch(5)
    monkeypatch.setattr(scale, "FACET_COUNT_LIMIT", 3)
    client.force_login(editor)

    response = client.get(CLAIMS, {"_facets": "True"})

    assert response.status_code == 200
    assert "Unverified (3+)" in response.text
    assert "Draft (3+)" in response.text


def test_documents_are_found_by_digest_address_title_and_publisher(client, editor):
    digest = hashlib.sha256(b"report").hexdigest()
    wanted = DocumentFactory(
        title="Border strike report",
        content_sha256=digest,
        publisher=SourceFactory(name="Kyiv Independent"),
    )
    DocumentFactory(title="Unrelated", publisher=SourceFactory(name="Other"))
    client.force_login(editor)
    url = changelist("sources.document")

    for term in (digest, wanted.url, "strike", "STRIKE report", "kyiv independent"):
        response = client.get(url, {"q": term})
        assert response.status_code == 200
        assert "1 document" in response.text, term
        assert "Border strike report" in response.text


def test_sources_and_places_are_found_by_any_of_their_names(client, editor):
    SourceFactory(name="Volodymyr Zelensky", aliases=["Зеленський"])
    PlaceFactory(name="Demidovka", alternate_names=["Демидовка"])
    client.force_login(editor)

    sources = client.get(changelist("sources.source"), {"q": "Зеленський"})
    places = client.get(changelist("claims.place"), {"q": "демидовка"})

    assert "Volodymyr Zelensky" in sources.text
    assert "1 source" in sources.text
    assert "1 place" in places.text


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 302),
        ("reader", 302),
        ("editor", 200),
        ("reviewer", 200),
        ("superuser", 200),
    ],
)
def test_the_searched_and_filtered_list_per_role(client, request, role, status, region):
    grow(1, region, SourceFactory())
    if role is not None:
        client.force_login(request.getfixturevalue(role))

    searched = client.get(CLAIMS, {"q": "Demidovka"})
    filtered = client.get(CLAIMS, {"within": region.pk, "_facets": "True"})

    assert searched.status_code == status
    assert filtered.status_code == status
    if status == 302:
        assert "/admin/login/" in searched["Location"]


def test_no_date_hierarchy_counts_the_table(client, editor):
    ClaimFactory(updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    client.force_login(editor)

    with CaptureQueriesContext(connection) as queries:
        client.get(CLAIMS)

    assert not [q for q in queries if "DATE_TRUNC" in q["sql"].upper()]
    assert not [
        q
        for q in queries
        if "COUNT(*)" in q["sql"].upper() and "LIMIT" not in q["sql"].upper()
    ]


@pytest.mark.parametrize(
    "query",
    [
        "statements__source__id__exact={source}",
        "statements__source__reliability__exact=C",
        "statements__stated_on__gte=2025-01-01",
    ],
)
def test_filters_across_statements_list_each_claim_once_without_distinct(
    client, editor, query
):
    source = SourceFactory(reliability="C")
    for claim in ClaimFactory.create_batch(3):
        StatementFactory(claim=claim, source=source, stance="asserts")
        StatementFactory(claim=claim, source=source, stance="denies")
    client.force_login(editor)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{CLAIMS}?{query.format(source=source.pk)}")

    assert response.status_code == 200
    assert "3 claims" in response.text
    assert not [q for q in queries if "DISTINCT" in q["sql"]]


def test_each_facet_counts_the_rows_its_filter_lists(client, reviewer):
    """Facets of every kind: a column of the claim, a filter across statements
    (a claim with two statements by grade-A sources counts once), the desk's
    queues, and a boolean that is never null."""
    grade_a = SourceFactory(reliability="A")
    twice = ClaimFactory(status="unverified")
    StatementFactory(claim=twice, source=grade_a)
    StatementFactory(claim=twice, source=SourceFactory(reliability="A"))
    ClaimFactory.create_batch(2, status="unverified", visibility="in_review")
    StatusChangeFactory()
    client.force_login(reviewer)

    claims = client.get(CLAIMS, {"_facets": "True"}).text
    changes = client.get(changelist("claims.statuschange"), {"_facets": "True"}).text

    assert f"Unverified ({Claim.objects.filter(status='unverified').count()})" in claims
    assert re.search(r"A — [^<(]*\(1\)", claims)
    assert re.search(r"Awaiting review\s*\(2\)", claims)
    assert "No (1)" in changes
    assert "Yes (0)" in changes
