"""The claim export: every claim the reader may see, streamed as CSV or JSON
Lines, in a fixed number of queries, with no cell a spreadsheet would run."""

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse

from claims.models import Claim
from tests.factories import (
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/claims/export/"


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response))))


def test_csv_is_the_default_with_a_header_and_a_row_per_published_claim(api, world):
    response = api().get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="claims.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    published = Claim.objects.published().order_by("id")
    assert [row["slug"] for row in rows] == [claim.slug for claim in published]
    row = next(row for row in rows if row["slug"] == world.published.slug)
    assert row["text"] == world.published.text
    assert row["event"] == world.published.event.slug
    assert row["asserted_by"] == world.source.slug


def test_json_lines_carry_lists_as_arrays(api, world):
    published = world.published
    place = PlaceFactory(slug="a-village")
    published.places.add(place)
    other = SourceFactory(slug="other-source")
    StatementFactory(claim=published, source=other, stance="denies")

    response = api().get(EXPORT, {"format": "jsonl"})

    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    lines = body(response).splitlines()
    assert len(lines) == Claim.objects.published().count()
    row = next(row for row in map(json.loads, lines) if row["slug"] == published.slug)
    assert "a-village" in row["places"]
    assert "other-source" in row["denied_by"]
    assert world.source.slug in row["asserted_by"]
    assert row["status"] == published.status
    assert row["version"] == published.version


def test_accept_chooses_the_format(api, world):
    response = api().get(EXPORT, HTTP_ACCEPT="application/jsonl")

    assert response["Content-Type"].startswith("application/jsonl")


@pytest.mark.parametrize("format", ["xlsx", "AAA", "json", "x" * 10_000])
def test_an_unknown_format_is_a_406_naming_the_formats(api, world, format):
    response = api().get(EXPORT, {"format": format})

    assert response.status_code == 406
    assert response["Content-Type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert "csv, jsonl" in detail
    assert len(detail) < 200


def test_drafts_only_for_staff(api, world, editor):
    public = {row["slug"] for row in csv_rows(api().get(EXPORT))}
    staff = {row["slug"] for row in csv_rows(api(editor).get(EXPORT))}

    assert world.published.slug in public
    assert world.draft.slug not in public
    assert staff == public | {world.draft.slug}


def test_the_list_filters_apply_and_bad_ones_are_a_400(api, world):
    PublishedClaimFactory(status="unverified")

    rows = csv_rows(api().get(EXPORT, {"status": "unverified"}))
    assert rows
    assert {row["status"] for row in rows} == {"unverified"}
    assert api().get(EXPORT, {"status": "nonsense"}).status_code == 400


def test_cells_that_a_spreadsheet_would_run_are_neutralised(api):
    for text in ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "plain"):
        PublishedClaimFactory(text=text)

    texts = [row["text"] for row in csv_rows(api().get(EXPORT))]

    assert sorted(texts) == sorted(
        ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "plain"]
    )


def test_json_lines_keep_the_text_as_it_is(api):
    PublishedClaimFactory(text="=1+1")

    row = json.loads(body(api().get(EXPORT, {"format": "jsonl"})))

    assert row["text"] == "=1+1"


@pytest.mark.parametrize("n", [10, 100])
def test_an_export_costs_the_same_queries_for_10_or_100_claims(
    api, n, django_assert_max_num_queries
):
    places = [PlaceFactory(), PlaceFactory()]
    for _ in range(n):
        claim = PublishedClaimFactory()
        claim.places.set(places)
        StatementFactory(claim=claim)
    client = api()

    # one statement through a server-side cursor (declare, fetch, close)
    with django_assert_max_num_queries(3):
        rows = csv_rows(client.get(EXPORT))

    assert len(rows) == n == Claim.objects.published().count()
