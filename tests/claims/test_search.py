"""Search: each claim's stored search document follows every kind of write, and
the search forgives misspellings without losing hostile input to a 500.

The document is kept by PostgreSQL triggers (claims migration 0004), so these
tests write through the services, the models' plain saves and bulk writes
alike, and look only at what a search then finds. On SQLite, the quickstart's
database, the search matches substrings; what it must find there too runs
there as well, the rest is marked ``postgresql``.
"""

import datetime

import pytest
from django.db import connection

from claims import services
from claims.models import Claim, Stance, Statement
from tests.factories import (
    ClaimFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

STATED_ON = datetime.date(2025, 3, 18)


def found(term: str, *, published_only: bool = False) -> set[str]:
    return set(
        Claim.objects.search(term, published_only=published_only).values_list(
            "slug", flat=True
        )
    )


def test_a_new_claim_is_found_by_its_words_and_places(editor):
    place = PlaceFactory(name="Demidovka", alternate_names=["Демидовка"])

    services.create_claim(
        text="Shelling near the border.", slug="new", places=[place], by=editor
    )

    assert found("shelling") == {"new"}
    assert found("Демидовка") == {"new"}


def test_an_edited_text_replaces_the_old_words(editor):
    claim = services.create_claim(text="Drones over Sudzha.", slug="c", by=editor)

    services.update_claim(claim, text="Artillery over Sumy.", by=editor)

    assert found("artillery") == {"c"}
    assert found("drones") == set()


def test_places_changed_on_a_claim_are_found(editor):
    claim = services.create_claim(text="A strike.", slug="c", by=editor)
    first = PlaceFactory(name="Prilesye")
    second = PlaceFactory(name="Graivoron")

    services.update_claim(claim, places=[first], by=editor)
    assert found("Prilesye") == {"c"}

    services.update_claim(claim, places=[second], by=editor)
    assert found("Graivoron") == {"c"}
    assert found("Prilesye") == set()


def test_a_statement_adds_its_quote_translation_and_source(editor):
    claim = ClaimFactory(slug="c", text="A village was taken.")
    source = SourceFactory(name="Zelensky", aliases=["Zelenskyy", "Зеленський"])

    services.attribute_statement(
        claim,
        source=source,
        stance=Stance.ASSERTS,
        stated_on=STATED_ON,
        quote="Ми звільнили село.",
        translation="We liberated the village.",
        by=editor,
    )

    for term in ("звільнили", "liberated", "Zelensky", "Zelenskyy", "Зеленський"):
        assert found(term) == {"c"}, term


def test_a_removed_statement_takes_its_words_away(editor, reviewer):
    statement = StatementFactory(
        claim__slug="c", quote="Every attempt was repelled.", source__name="Ministry"
    )

    services.remove_part(statement, by=reviewer)

    assert found("repelled") == set()
    assert found("Ministry") == set()
    assert found("Claim") == {"c"}


def test_a_renamed_source_is_found_under_its_new_name(editor):
    statement = StatementFactory(claim__slug="c", source__name="Rybar")
    source = statement.source

    source.name = "Two Majors"
    source.aliases = ["Два майора"]
    source.save()

    assert found("Majors") == {"c"}
    assert found("майора") == {"c"}
    assert found("Rybar") == set()


def test_a_renamed_place_is_found_under_its_new_names():
    claim = ClaimFactory(slug="c")
    place = PlaceFactory(name="Demidovka")
    claim.places.add(place)

    place.name = "Demydivka"
    place.alternate_names = ["Демидівка"]
    place.save()

    assert found("Demydivka") == {"c"}
    assert found("Демидівка") == {"c"}
    assert found("Demidovka") == set()


def test_statements_written_in_bulk_reach_every_claim():
    first, second = ClaimFactory(slug="first"), ClaimFactory(slug="second")
    source = SourceFactory()

    Statement.objects.bulk_create(
        Statement(
            claim=claim, source=source, stance="asserts", stated_on=STATED_ON, quote=q
        )
        for claim, q in ((first, "Kursk"), (second, "Kursk too"))
    )

    assert found("Kursk") == {"first", "second"}


@pytest.mark.postgresql
def test_a_misspelled_or_transliterated_word_finds_the_close_one():
    StatementFactory(
        claim=PublishedClaimFactory(slug="c", text="Shelling of Belgorod."),
        source__name="Zelensky",
    )
    ClaimFactory(slug="other", text="Nothing alike.")

    assert found("Zelenskiy") == {"c"}
    assert found("Belgorot shelling") == {"c"}
    assert found("Belgorot nothing") == set()


@pytest.mark.postgresql
def test_exact_matches_are_not_mixed_with_close_words():
    PublishedClaimFactory(slug="exact", text="Troops near Belgorod.")
    PublishedClaimFactory(slug="close", text="Troops near Belgorot.")

    assert found("Belgorod") == {"exact"}


@pytest.mark.postgresql
def test_a_negated_or_quoted_query_is_not_loosened():
    PublishedClaimFactory(slug="c", text="Drones over Belgorod.")

    assert found("Belgorot -drones") == set()
    assert found('"Belgorot drones"') == set()


def test_an_exact_search_is_one_query(django_assert_num_queries):
    PublishedClaimFactory(slug="c", text="Drones over Belgorod.")

    with django_assert_num_queries(1):
        ids = Claim.objects.search("drones", published_only=True)
    with django_assert_num_queries(1):
        assert [claim.slug for claim in ids] == ["c"]


def test_drafts_only_when_asked():
    ClaimFactory(slug="draft", text="Drones.")
    PublishedClaimFactory(slug="published", text="Drones.")

    assert found("drones", published_only=True) == {"published"}
    assert found("drones") == {"draft", "published"}


@pytest.mark.parametrize(
    "term",
    [
        "a\x00b",
        "\x00",
        "   ",
        "%",
        "_",
        "\ud800lone surrogate",
        "x" * 5000,
        "!!! & | :* <-> ( ) '",
        "-",
        '"',
        " or ",
        "word " * 300,
    ],
)
def test_hostile_input_finds_nothing_and_raises_nothing(term):
    PublishedClaimFactory(text="Drones over Belgorod.")

    assert found(term, published_only=True) == set()


@pytest.mark.postgresql
def test_the_document_is_a_hidden_column_of_claims():
    """Django never reads it: the ORM's columns are the model's fields."""
    claim = ClaimFactory(text="Drones.")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_document @@ to_tsquery('simple', 'drones') "
            "FROM claims_claim WHERE id = %s",
            [claim.pk],
        )
        assert cursor.fetchone() == (True,)
    assert "search_document" not in {f.column for f in Claim._meta.concrete_fields}


@pytest.mark.postgresql
def test_the_set_based_rebuild_gives_the_triggers_documents():
    """claims_search_refresh() (the migration's backfill, bench/generate.py's
    pass after COPY) and the triggers build the same document."""
    place = PlaceFactory(name="Sudzha", alternate_names=["Суджа"])
    statement = StatementFactory(quote="Первая.", translation="First.")
    statement.claim.places.add(place)
    StatementFactory(claim=statement.claim, stated_on=datetime.date(2025, 3, 19))
    ClaimFactory()

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, search_document::text FROM claims_claim")
        before = dict(cursor.fetchall())
        cursor.execute("SELECT claims_search_refresh()")
        cursor.execute("SELECT id, search_document::text FROM claims_claim")
        after = dict(cursor.fetchall())

    assert after == before
