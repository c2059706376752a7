"""Sources and documents: database constraints, protection and model behaviour."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from sources.models import Document, Source
from tests.factories import (
    DocumentFactory,
    EvidenceFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

VALID_SHA256 = "0123456789abcdef" * 4


def refused(make, constraint):
    """Run ``make`` and return the IntegrityError the database raised."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        make()
    assert constraint in str(excinfo.value)
    return excinfo.value


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("kind", "planet", "source_kind_valid"),
        ("kind", "", "source_kind_valid"),
        ("affiliation", "mars", "source_affiliation_valid"),
        ("reliability", "G", "source_reliability_valid"),
        ("reliability", "a", "source_reliability_valid"),
        ("name", "", "source_name_not_empty"),
        ("slug", "", "source_slug_not_empty"),
    ],
)
def test_source_check_constraints_refuse_invalid_rows(field, value, constraint):
    """The database refuses a source with an invalid or empty value."""
    refused(lambda: SourceFactory(**{field: value}), constraint)
    assert not Source.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "government"),
        ("kind", "organisation"),
        ("affiliation", "russia"),
        ("affiliation", "united_states"),
        ("reliability", "A"),
        ("reliability", "F"),
        ("name", "ISW"),
        ("slug", "isw"),
    ],
)
def test_source_check_constraints_accept_valid_rows(field, value):
    """Each valid choice and non-empty text is stored."""
    source = SourceFactory(**{field: value})

    assert Source.objects.filter(pk=source.pk, **{field: value}).exists()


def test_source_check_constraint_refuses_an_update():
    """A bulk update that bypasses validation is still refused."""
    source = SourceFactory()

    refused(
        lambda: Source.objects.filter(pk=source.pk).update(reliability="Z"),
        "source_reliability_valid",
    )
    source.refresh_from_db()
    assert source.reliability == "C"


def test_source_slug_is_unique():
    """Two sources cannot share a slug."""
    SourceFactory(slug="isw")

    refused(lambda: SourceFactory(slug="isw"), "slug")
    assert Source.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("title", "", "document_title_not_empty"),
        ("content_sha256", VALID_SHA256.upper(), "document_sha256_hex"),
        ("content_sha256", VALID_SHA256[:63], "document_sha256_hex"),
        ("content_sha256", "g" + VALID_SHA256[1:], "document_sha256_hex"),
        ("content_sha256", " " + VALID_SHA256[1:], "document_sha256_hex"),
    ],
)
def test_document_check_constraints_refuse_invalid_rows(field, value, constraint):
    """A document needs a title; a digest must be 64 lower-case hex digits."""
    refused(lambda: DocumentFactory(**{field: value}), constraint)
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Daily assessment"),
        ("content_sha256", VALID_SHA256),
        ("content_sha256", "f" * 64),
        ("content_sha256", ""),
    ],
)
def test_document_check_constraints_accept_valid_rows(field, value):
    """A title, a lower-case hex digest, or no digest at all is stored."""
    document = DocumentFactory(**{field: value})

    assert Document.objects.filter(pk=document.pk, **{field: value}).exists()


def test_document_sha256_constraint_refuses_an_update():
    """An upper-case digest written by a bulk update is refused."""
    document = DocumentFactory(content_sha256=VALID_SHA256)

    refused(
        lambda: Document.objects.filter(pk=document.pk).update(
            content_sha256=VALID_SHA256.upper()
        ),
        "document_sha256_hex",
    )


def test_document_clean_normalises_the_digest():
    """clean() stores the digest in lower case, the form the database accepts."""
    document = DocumentFactory.build(
        publisher=SourceFactory(), content_sha256=VALID_SHA256.upper()
    )

    document.full_clean()

    assert document.content_sha256 == VALID_SHA256
    document.save()


def test_two_documents_cannot_share_a_url():
    """A non-empty URL identifies a single document."""
    DocumentFactory(url="https://example.org/report")

    refused(
        lambda: DocumentFactory(url="https://example.org/report"),
        "document_url_unique",
    )
    assert Document.objects.count() == 1


def test_many_documents_may_have_no_url():
    """Documents without a URL do not collide with each other."""
    DocumentFactory(url="")
    DocumentFactory(url="")

    assert Document.objects.filter(url="").count() == 2


def test_document_url_uniqueness_applies_to_updates():
    """Moving a document onto another's URL is refused."""
    DocumentFactory(url="https://example.org/a")
    other = DocumentFactory(url="https://example.org/b")

    refused(
        lambda: Document.objects.filter(pk=other.pk).update(
            url="https://example.org/a"
        ),
        "document_url_unique",
    )


def test_source_with_statements_cannot_be_deleted():
    """A source that made statements is protected."""
    statement = StatementFactory(document=None)

    with pytest.raises(ProtectedError):
        statement.source.delete()

    assert Source.objects.filter(pk=statement.source_id).exists()


def test_source_that_published_documents_cannot_be_deleted():
    """A publisher of documents is protected."""
    document = DocumentFactory()

    with pytest.raises(ProtectedError):
        document.publisher.delete()

    assert Source.objects.filter(pk=document.publisher_id).exists()


def test_source_without_statements_or_documents_can_be_deleted():
    source = SourceFactory()

    source.delete()

    assert not Source.objects.exists()


@pytest.mark.parametrize("factory", [StatementFactory, EvidenceFactory])
def test_document_in_use_cannot_be_deleted(factory):
    """A document a statement or evidence rests on is protected."""
    document = factory().document

    with pytest.raises(ProtectedError):
        document.delete()

    assert Document.objects.filter(pk=document.pk).exists()


def test_source_label_shows_the_reliability_grade():
    source = SourceFactory.build(name="ISW", reliability="B")

    assert source.label == "ISW (B)"


@pytest.mark.parametrize(
    "aliases",
    ["x", [""], ["  "], ["Zelenskyy", ""], ["Zelenskyy", 7], {"en": "Zelenskyy"}],
)
def test_aliases_must_be_a_list_of_non_empty_strings(aliases):
    """full_clean refuses aliases that are not a list of non-empty names."""
    source = SourceFactory.build(aliases=aliases)

    with pytest.raises(ValidationError) as excinfo:
        source.full_clean()

    assert "aliases" in excinfo.value.message_dict


@pytest.mark.parametrize("aliases", [["Zelenskyy", "Зеленський"], []])
def test_aliases_accept_a_list_of_names(aliases):
    """Names in any script pass, and so does an empty list."""
    source = SourceFactory.build(aliases=aliases)

    source.full_clean()
