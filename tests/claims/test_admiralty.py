"""The Admiralty pair: each statement carries the information's credibility
(1–6, by default 6), shown with its source's grade as ``B2`` on pages, in the
API, in the filters, in the export and in the admin."""

import csv
import io
import json

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from claims.models import Statement
from tests.factories import PublishedClaimFactory, SourceFactory, StatementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(db):
    """A published claim that ISW (B) asserts, credibility 2, and the MoD (E)
    denies, credibility 5; another that nobody has judged."""
    isw = SourceFactory(name="ISW", slug="isw", reliability="B")
    mod = SourceFactory(name="Russian MoD", slug="mod", reliability="E")
    claim = PublishedClaimFactory(slug="advance-near-demidovka")
    asserted = StatementFactory(claim=claim, source=isw, credibility=2)
    denied = StatementFactory(
        claim=claim, source=mod, stance="denies", credibility=5, document=None
    )
    other = PublishedClaimFactory(slug="unjudged-claim")
    unjudged = StatementFactory(claim=other, source=isw)
    return {
        "claim": claim,
        "other": other,
        "asserted": asserted,
        "denied": denied,
        "unjudged": unjudged,
    }


def _statements(detail: dict) -> dict[int, dict]:
    return {s["id"]: s for s in detail["statements"]}


def test_a_new_statement_cannot_be_judged_until_an_editor_says(graded):
    assert graded["unjudged"].credibility == 6
    assert graded["unjudged"].admiralty == "B6"


def test_the_claim_in_the_api_shows_each_statements_pair(api, graded):
    response = api().get("/api/v1/claims/advance-near-demidovka/")

    assert response.status_code == 200
    statements = _statements(response.json())
    assert statements[graded["asserted"].pk]["credibility"] == 2
    assert statements[graded["asserted"].pk]["admiralty"] == "B2"
    assert statements[graded["denied"].pk]["admiralty"] == "E5"


def test_the_claim_list_shows_the_pairs_too(api, graded):
    response = api().get("/api/v1/claims/")

    assert response.status_code == 200
    pairs = {
        s["admiralty"]
        for claim in response.json()["results"]
        for s in claim["statements"]
    }
    assert pairs == {"B2", "E5", "B6"}


def test_an_editor_sets_the_credibility_and_the_pair_follows(api, graded, editor):
    statement = graded["denied"]

    response = api(editor).patch(
        f"/api/v1/statements/{statement.pk}/",
        {"credibility": 4},
        format="json",
        HTTP_IF_MATCH=graded["claim"].etag,
    )

    assert response.status_code == 200, response.content
    assert response.json()["credibility"] == 4
    assert response.json()["admiralty"] == "E4"
    detail = api().get("/api/v1/claims/advance-near-demidovka/").json()
    assert _statements(detail)[statement.pk]["admiralty"] == "E4"


def test_a_new_statement_through_the_api_takes_its_credibility(api, graded, editor):
    response = api(editor).post(
        "/api/v1/statements/",
        {
            "claim": graded["other"].slug,
            "source": "mod",
            "stance": "denies",
            "stated_on": "2025-03-19",
            "quote": "Nothing happened.",
            "credibility": 5,
        },
        format="json",
        HTTP_IF_MATCH=graded["other"].etag,
    )

    assert response.status_code == 201, response.content
    assert response.json()["admiralty"] == "E5"
    assert Statement.objects.get(pk=response.json()["id"]).credibility == 5


@pytest.mark.parametrize("value", [0, 7, -1, "B", "2.5", None, "", [2]])
def test_a_credibility_outside_one_to_six_is_a_400_naming_the_field(
    api, graded, editor, value
):
    statement = graded["asserted"]

    response = api(editor).patch(
        f"/api/v1/statements/{statement.pk}/",
        {"credibility": value},
        format="json",
        HTTP_IF_MATCH=graded["claim"].etag,
    )

    assert response.status_code == 400, response.content
    assert "credibility" in response.json()["errors"]
    statement.refresh_from_db()
    assert statement.credibility == 2


@pytest.mark.parametrize("role", [None, "reader"])
def test_readers_and_the_public_cannot_change_the_credibility(
    api, graded, request, role
):
    user = request.getfixturevalue(role) if role else None
    statement = graded["asserted"]

    response = api(user).patch(
        f"/api/v1/statements/{statement.pk}/",
        {"credibility": 1},
        format="json",
        HTTP_IF_MATCH=graded["claim"].etag,
    )

    assert response.status_code in (401, 403)
    statement.refresh_from_db()
    assert statement.credibility == 2


def test_the_database_refuses_a_credibility_outside_one_to_six(graded):
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=graded["asserted"].pk).update(credibility=7)


def test_statements_filter_by_credibility_and_by_pair(api, graded):
    client = api()

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/statements/?{query}")
        assert response.status_code == 200, response.content
        return {s["id"] for s in response.json()["results"]}

    assert ids("credibility=2") == {graded["asserted"].pk}
    assert ids("credibility=2,5") == {graded["asserted"].pk, graded["denied"].pk}
    assert ids("admiralty=B2") == {graded["asserted"].pk}
    assert ids("admiralty=B2&admiralty=E5") == {
        graded["asserted"].pk,
        graded["denied"].pk,
    }
    assert ids("admiralty=E2") == set()
    assert ids("admiralty=B6") == {graded["unjudged"].pk}


def test_claims_filter_by_a_statements_pair(api, graded):
    client = api()

    def slugs(query: str) -> set[str]:
        response = client.get(f"/api/v1/claims/?{query}")
        assert response.status_code == 200, response.content
        return {c["slug"] for c in response.json()["results"]}

    assert slugs("admiralty=E5") == {"advance-near-demidovka"}
    assert slugs("credibility=6") == {"unjudged-claim"}
    # One statement must match both: ISW's is B2, the MoD's E5.
    assert slugs("source=isw&credibility=5") == set()
    assert slugs("source=mod&credibility=5") == {"advance-near-demidovka"}


@pytest.mark.parametrize(
    "query", ["admiralty=B7", "admiralty=G1", "admiralty=b2", "credibility=9"]
)
@pytest.mark.parametrize("path", ["/api/v1/statements/", "/api/v1/claims/"])
def test_an_unknown_pair_or_credibility_is_a_400(api, graded, path, query):
    response = api().get(f"{path}?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"]


def test_the_statement_list_filtered_by_pair_takes_the_same_queries_for_more_rows(
    api, graded, django_assert_max_num_queries
):
    client = api()
    with django_assert_max_num_queries(20) as few:
        assert client.get("/api/v1/statements/?admiralty=B2,B6").status_code == 200
    isw = graded["asserted"].source
    for _ in range(10):
        StatementFactory(claim=PublishedClaimFactory(), source=isw, credibility=2)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/statements/?admiralty=B2,B6")
    assert len(response.json()["results"]) == 12


def _export(api, format: str) -> str:
    response = api().get(f"/api/v1/claims/export/?format={format}")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_the_export_carries_each_statements_source_and_pair(api, graded):
    rows = {
        row["slug"]: row for row in csv.DictReader(io.StringIO(_export(api, "csv")))
    }
    assert rows["advance-near-demidovka"]["admiralty"] == "isw:B2;mod:E5"
    assert rows["unjudged-claim"]["admiralty"] == "isw:B6"

    lines = [json.loads(line) for line in _export(api, "jsonl").splitlines()]
    by_slug = {line["slug"]: line for line in lines}
    assert by_slug["advance-near-demidovka"]["admiralty"] == ["isw:B2", "mod:E5"]


def test_the_claim_page_shows_the_pair_spelt_out_in_its_title(client, graded):
    response = client.get(graded["claim"].get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<abbr class="admiralty" title="B — Usually reliable source; '
        '2 — Probably true">B2</abbr>' in html
    )
    assert ">ISW</a> · <abbr" in html
    assert ">E5</abbr>" in html


def test_the_source_page_shows_the_pair_of_each_statement(client, graded):
    response = client.get(graded["asserted"].source.get_absolute_url())

    assert response.status_code == 200
    assert ">B2</abbr>" in response.content.decode()
    assert ">B6</abbr>" in response.content.decode()


def test_the_admin_lists_statements_with_their_pair_and_filters_by_credibility(
    client, editor, graded
):
    client.force_login(editor)
    url = reverse("admin:claims_statement_changelist")

    response = client.get(url, {"credibility__exact": 5})

    assert response.status_code == 200
    html = response.content.decode()
    assert ">E5</abbr>" in html
    assert ">B2</abbr>" not in html


def test_the_admin_statement_form_offers_the_credibility(client, editor, graded):
    client.force_login(editor)
    url = reverse("admin:claims_statement_change", args=[graded["asserted"].pk])

    response = client.get(url)

    assert response.status_code == 200
    assert 'name="credibility"' in response.content.decode()
    assert "5 — Improbable" in response.content.decode()
