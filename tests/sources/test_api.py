"""Sources and documents through the API."""

import pytest

from sources.models import Document, Source
from tests.factories import DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_an_editor_adds_a_source_with_its_aliases_and_grade(api, editor):
    response = api(editor).post(
        "/api/v1/sources/",
        {
            "name": "Institute for the Study of War",
            "slug": "isw",
            "kind": "think_tank",
            "affiliation": "independent",
            "aliases": ["ISW", "Институт изучения войны"],
            "reliability": "B",
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["label"] == "Institute for the Study of War (B)"
    assert Source.objects.get(slug="isw").aliases[0] == "ISW"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reliability", "Z"),
        ("kind", "alien"),
        ("aliases", ["ok", ""]),
        ("aliases", "not a list"),
        ("slug", "not a slug!"),
        ("homepage", "javascript:alert(1)"),
    ],
)
def test_invalid_source_fields_get_a_message_each(api, editor, field, value):
    body = {
        "name": "X",
        "slug": "x",
        "kind": "person",
        "affiliation": "other",
        field: value,
    }

    response = api(editor).post("/api/v1/sources/", body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Source.objects.exists()


def test_a_taken_slug_is_a_400_not_a_500(api, editor):
    SourceFactory(slug="taken")

    response = api(editor).post(
        "/api/v1/sources/",
        {"name": "Y", "slug": "taken", "kind": "person", "affiliation": "other"},
    )

    assert response.status_code == 400
    assert "slug" in response.json()["errors"]


def test_documents_name_their_publisher_by_slug_or_id_and_nest_it(api, editor):
    isw = SourceFactory(slug="isw", name="ISW", reliability="B")
    client = api(editor)

    by_slug = client.post(
        "/api/v1/documents/",
        {
            "title": "Update, 21 March",
            "url": "https://example.org/isw-21-march",
            "publisher": "isw",
            "content_sha256": "AB" * 32,
        },
    )
    by_id = client.post("/api/v1/documents/", {"title": "Video", "publisher": isw.pk})

    assert by_slug.status_code == 201, by_slug.content
    assert by_slug.json()["publisher"]["label"] == "ISW (B)"
    assert by_slug.json()["content_sha256"] == "ab" * 32
    assert by_id.json()["publisher"]["slug"] == "isw"
    assert (
        client.post(
            "/api/v1/documents/", {"title": "Z", "publisher": "nobody"}
        ).status_code
        == 400
    )


def test_a_document_url_is_unique(api, editor):
    DocumentFactory(url="https://example.org/once")

    response = api(editor).post(
        "/api/v1/documents/", {"title": "Again", "url": "https://example.org/once"}
    )

    assert response.status_code == 400
    assert Document.objects.filter(url="https://example.org/once").count() == 1


def test_a_bad_digest_is_refused(api, editor):
    response = api(editor).post(
        "/api/v1/documents/", {"title": "T", "content_sha256": "xyz"}
    )

    assert response.status_code == 400
    assert "content_sha256" in response.json()["errors"]
