"""Sources, documents, places and events in the admin: useful lists, filters
and search in every spelling, at a query count that does not grow."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    EventFactory,
    PlaceFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def changelist(model: str) -> str:
    app = "sources" if model in {"source", "document"} else "claims"
    return reverse(f"admin:{app}_{model}_changelist")


def test_sources_show_grade_aliases_and_what_they_asserted_and_denied(client, editor):
    source = SourceFactory(name="ISW", reliability="B", aliases=["Институт"])
    StatementFactory(source=source, stance="asserts")
    StatementFactory(source=source, stance="denies")
    StatementFactory(source=source, stance="denies")
    client.force_login(editor)

    response = client.get(changelist("source"))

    assert '<span class="badge grade-B" title="B — Usually reliable">B</span>' in (
        response.text
    )
    assert "Институт" in response.text
    claims = reverse("admin:claims_claim_changelist")
    assert (
        f'<a href="{claims}?statements__source__id__exact={source.pk}'
        '&amp;stance=denies">2</a>'
    ) in response.text


def test_the_asserted_and_denied_counts_link_to_those_claims_only(client, editor):
    source = SourceFactory(name="ISW")
    asserted = ClaimFactory(text="Shelling of Demidovka on 18 March")
    denied = ClaimFactory(text="A crossing at Krasnoyarovo on 19 March")
    StatementFactory(source=source, claim=asserted, stance="asserts")
    StatementFactory(source=source, claim=denied, stance="denies")
    # Another source asserts the claim ISW denies: still not what ISW asserts.
    StatementFactory(claim=denied, stance="asserts")
    client.force_login(editor)
    sources_page = client.get(changelist("source")).text

    for column, shown, left_out in (
        ("asserts", asserted, denied),
        ("denies", denied, asserted),
    ):
        link = re.search(rf'class="field-{column}"><a href="([^"]+)"', sources_page)
        listed = client.get(html.unescape(link[1]))

        assert listed.status_code == 200
        assert shown.text in listed.text
        assert left_out.text not in listed.text


def test_an_unknown_stance_in_the_claim_list_lists_nothing(client, editor):
    ClaimFactory(text="Shelling of Demidovka on 18 March")
    client.force_login(editor)

    response = client.get(reverse("admin:claims_claim_changelist"), {"stance": "x"})

    assert response.status_code == 200
    assert "Shelling of Demidovka" not in response.text


@pytest.mark.sqlite
@pytest.mark.parametrize("term", ["Зеленський", "zelenskyy", "Volodymyr"])
def test_sources_are_found_by_any_alias(client, editor, term):
    SourceFactory(name="Volodymyr Zelensky", aliases=["Zelenskyy", "Зеленський"])
    SourceFactory(name="Somebody else")
    client.force_login(editor)

    response = client.get(changelist("source"), {"q": term})

    assert "Volodymyr Zelensky" in response.text
    assert "Somebody else" not in response.text


def test_a_source_page_lists_the_claims_it_made(client, editor):
    statement = StatementFactory(claim__text="The border was crossed.")
    client.force_login(editor)

    response = client.get(
        reverse("admin:sources_source_change", args=[statement.source_id])
    )

    assert "Claims made (latest 50)" in response.text
    assert "The border was crossed." in response.text


def test_documents_are_found_by_digest_and_filtered_by_archive(client, editor):
    DocumentFactory(
        title="Archived video", content_sha256=SHA, archive_url="https://archive.org/x"
    )
    DocumentFactory(title="Loose post")
    client.force_login(editor)

    by_digest = client.get(changelist("document"), {"q": SHA[:16]})
    archived = client.get(changelist("document"), {"archived": "yes"})
    hashed = client.get(changelist("document"), {"hashed": "no"})

    assert "Archived video" in by_digest.text
    assert "Loose post" not in by_digest.text
    assert "Archived video" in archived.text
    assert "Loose post" not in archived.text
    assert "Loose post" in hashed.text
    assert f'<code title="{SHA}">{SHA[:12]}…</code>' in by_digest.text
    assert 'target="_blank">example.org</a>' in by_digest.text


@pytest.mark.sqlite
@pytest.mark.parametrize("term", ["Демидовка", "demydivka"])
def test_places_are_found_by_alternate_names(client, editor, term):
    region = PlaceFactory(name="Belgorod region", kind="region")
    PlaceFactory(
        name="Demidovka", parent=region, alternate_names=["Demydivka", "Демидовка"]
    )
    client.force_login(editor)

    response = client.get(changelist("place"), {"q": term})

    assert "Demidovka" in response.text
    assert "Belgorod region" in response.text  # shown as where it lies


def test_places_show_their_hierarchy_and_claims(client, editor):
    russia = PlaceFactory(name="Russia", kind="country")
    region = PlaceFactory(name="Belgorod region", kind="region", parent=russia)
    village = PlaceFactory(name="Demidovka", parent=region)
    ClaimFactory().places.add(village)
    client.force_login(editor)

    response = client.get(changelist("place"), {"q": "Demidovka"})

    assert "Belgorod region › Russia" in response.text
    assert f'?within={village.pk}">1</a>' in response.text


def test_events_show_their_places_and_claim_count(client, editor):
    event = EventFactory(title="Sudzha fighting")
    event.places.add(PlaceFactory(name="Sudzha"))
    ClaimFactory.create_batch(2, event=event)
    client.force_login(editor)

    response = client.get(changelist("event"))

    assert "Sudzha" in response.text
    assert f'?event__id__exact={event.pk}">2</a>' in response.text


@pytest.mark.parametrize("model", ["source", "document", "place", "event"])
def test_list_query_counts_do_not_grow_with_rows(client, editor, model):
    def grow(n: int) -> None:
        for _ in range(n):
            statement = StatementFactory()
            place = PlaceFactory(parent=PlaceFactory())
            statement.claim.places.add(place)
            statement.claim.event.places.add(place)

    client.force_login(editor)
    grow(2)
    client.get(changelist(model))
    with CaptureQueriesContext(connection) as few:
        client.get(changelist(model))
    grow(10)
    with CaptureQueriesContext(connection) as many:
        response = client.get(changelist(model))

    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many]
