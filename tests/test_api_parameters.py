"""Query parameters, lookups and bodies as a client generated from the schema,
or written by hand, sends them: each bad one is a 400 naming it, never a
silently different answer, and never a server error."""

import base64
import json

import pytest
from django.test import Client
from knox.models import AuthToken

from tests.claims.conftest import World
from tests.openapi import operations
from tests.test_api_errors import assert_problem

pytestmark = pytest.mark.django_db

LISTS = [
    op.path
    for op in operations()
    if op.method == "get" and any(p["name"] == "cursor" for p in op.query_parameters)
]


@pytest.fixture
def world(reviewer) -> World:
    return World(reviewer)


@pytest.fixture
def token(superuser) -> str:
    _, token = AuthToken.objects.create(user=superuser)
    return token


# Addresses only admins may read: the checks below ask as one there.
ADMINS_ONLY = ("/api/v1/webhooks/",)


def client_for(path: str) -> Client:
    """An anonymous client, or an admin's where only admins may read."""
    client = Client()
    if path.startswith(ADMINS_ONLY):
        from tests.factories import UserFactory

        client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Cursors and page sizes -------------------------------------------------------


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("tampered", ["o=x", "o=-1", "r=x", "p=\x00"])
def test_a_tampered_cursor_is_a_400_naming_it(world, path, tampered):
    response = client_for(path).get(path, {"cursor": cursor(tampered)})

    body = assert_problem(response, 400, "invalid")
    assert "cursor" in body["errors"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/statements/",
        "/api/v1/evidence/",
        "/api/v1/links/",
        "/api/v1/claims/",
        "/api/v1/events/",
        "/api/v1/documents/",
    ],
)
@pytest.mark.parametrize(
    "position",
    [
        "abc",
        "2025-13-45",
        "99999999999999999999",
        # Moments without an offset: this API writes every position with one.
        "0001-01-01 00:00:00",
        "2025-04-08 12:00:00",
    ],
)
def test_a_cursor_position_of_the_wrong_type_is_a_400_naming_it(world, path, position):
    response = Client().get(path, {"cursor": cursor(f"p={position}")})

    if response.status_code == 200:
        # A number is a valid position among ids (an empty page), not a moment.
        assert position.isdigit()
        assert path in {"/api/v1/statements/", "/api/v1/evidence/", "/api/v1/links/"}
        return
    assert "cursor" in assert_problem(response, 400, "invalid")["errors"]


def test_a_cursor_that_is_not_base64_is_a_400_naming_it(world):
    response = Client().get("/api/v1/statements/", {"cursor": "not base64!"})

    assert "cursor" in assert_problem(response, 400, "invalid")["errors"]


def test_a_cursor_from_a_page_still_works(world, api):
    first = api().get("/api/v1/statements/", {"page_size": 1}).json()

    second = api().get(first["next"])

    assert second.status_code == 200
    assert second.json()["results"][0]["id"] != first["results"][0]["id"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("size", ["0", "101", "1000", "-1", "abc", "1.5", "", "1e2"])
def test_a_page_size_outside_1_to_100_is_a_400_naming_it(path, size):
    response = client_for(path).get(path, {"page_size": size})

    assert "page_size" in assert_problem(response, 400, "invalid")["errors"]


@pytest.mark.parametrize("size", [1, 100])
def test_a_page_size_from_1_to_100_is_served(world, api, size):
    response = api().get("/api/v1/places/", {"page_size": size})

    assert response.status_code == 200
    assert 1 <= len(response.json()["results"]) <= size


def test_the_schema_bounds_the_page_size():
    for op in operations():
        for parameter in op.query_parameters:
            if parameter["name"] == "page_size":
                assert parameter["schema"]["minimum"] == 1
                assert parameter["schema"]["maximum"] == 100


# Format suffixes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/claims/published-claim/history.json",
        "/api/v1/claims/published-claim/history.json/",
        "/api/v1/claims/export.csv",
        "/api/v1/claims/published-claim/status.json",
        "/api/v1/claims/published-claim.json",
        "/api/v1/claims.json",
    ],
)
def test_a_format_suffix_is_no_address(world, path):
    assert_problem(Client().get(path), 404, "not_found")


def test_the_export_format_is_a_query_parameter(world):
    response = Client().get("/api/v1/claims/export/", {"format": "jsonl"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/jsonl")


# Nested bodies ------------------------------------------------------------------

WRITES = [op for op in operations() if op.has_body]


def _concrete(path: str, world: World) -> str:
    from tests.test_hostile_input import concrete

    return concrete(path, world) if "{" in path else path


@pytest.mark.parametrize("depth", [100_000, 5_000, 990, 33])
@pytest.mark.parametrize("operation", WRITES, ids=str)
def test_a_deeply_nested_body_is_a_400(world, token, operation, depth):
    body = "[" * depth + "]" * depth

    response = Client().generic(
        operation.method.upper(),
        _concrete(operation.path, world),
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
        HTTP_IF_MATCH="*",
    )

    assert_problem(response, 400, "parse_error")


def test_a_deeply_nested_sign_in_is_a_400_without_credentials():
    response = Client().post(
        "/api/v1/auth/login/", "[" * 100_000, content_type="application/json"
    )

    assert_problem(response, 400, "parse_error")


def test_a_body_nested_as_deep_as_allowed_is_read(world, token):
    response = Client().post(
        "/api/v1/sources/",
        json.dumps(
            {
                "name": "Deep",
                "kind": "media",
                "affiliation": "other",
                "aliases": [[[[["x"]]]]],
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )

    assert "aliases" in assert_problem(response, 400, "invalid")["errors"]


# Unknown and repeated parameters -----------------------------------------------

READS = [op for op in operations() if op.method == "get"]


@pytest.mark.parametrize("operation", READS, ids=str)
def test_an_unknown_query_parameter_is_a_400_naming_it(world, operation):
    from tests.test_hostile_input import concrete

    path = concrete(operation.path, world)
    response = client_for(path).get(path, {"statuss": "false"})

    assert "statuss" in assert_problem(response, 400, "invalid")["errors"]


@pytest.mark.parametrize("operation", READS, ids=str)
def test_every_documented_parameter_is_taken(world, operation):
    from tests.test_hostile_input import concrete

    path = concrete(operation.path, world)
    for parameter in operation.query_parameters:
        response = client_for(path).get(path, {parameter["name"]: ""})

        assert response.status_code in {200, 400}
        if response.status_code == 400:
            errors = response.json()["errors"]
            assert not any(
                "Unknown parameter" in m for m in errors.get(parameter["name"], [])
            )


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/claims/", "event"),
        ("/api/v1/claims/", "ordering"),
        ("/api/v1/claims/", "page_size"),
        ("/api/v1/claims/", "cursor"),
        ("/api/v1/statements/", "claim"),
        ("/api/v1/claims/published-claim/history/", "as_of"),
        ("/api/v1/claims/export/", "format"),
    ],
)
def test_a_single_valued_parameter_given_twice_is_a_400_naming_it(world, path, name):
    a, b = ("csv", "jsonl") if name == "format" else ("a", "b")
    response = Client().get(f"{path}?{name}={a}&{name}={b}")

    assert assert_problem(response, 400, "invalid")["errors"][name] == [
        "Give this parameter once."
    ]


@pytest.mark.parametrize(
    ("path", "name", "values"),
    [
        ("/api/v1/claims/", "status", ["disputed", "unverified"]),
        ("/api/v1/claims/export/", "status", ["disputed", "unverified"]),
        ("/api/v1/statements/", "stance", ["asserts", "denies"]),
        ("/api/v1/statements/", "grade", ["C", "E"]),
        ("/api/v1/evidence/", "stance", ["supports", "refutes"]),
        ("/api/v1/links/", "kind", ["contradicts", "supports"]),
        ("/api/v1/places/", "kind", ["village", "region"]),
        ("/api/v1/sources/", "grade", ["C", "E"]),
        ("/api/v1/sources/", "kind", ["person", "government"]),
    ],
)
def test_a_filter_given_twice_means_the_comma_form(world, path, name, values):
    repeated = Client().get(f"{path}?{name}={values[0]}&{name}={values[1]}")
    commas = Client().get(f"{path}?{name}={values[0]},{values[1]}")
    last = Client().get(f"{path}?{name}={values[1]}")

    assert repeated.status_code == 200, repeated.content
    assert b"".join(repeated) == b"".join(commas)
    assert b"".join(repeated) != b"".join(last)


def test_repeated_filters_are_documented_as_exploded_arrays():
    for op in operations():
        for parameter in op.query_parameters:
            if parameter["schema"].get("type") == "array":
                assert parameter["explode"] is True
                assert parameter["style"] == "form"


# Lookups and slugs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "item"),
    [
        ("claims", lambda w: w.published),
        ("events", lambda w: w.event),
        ("sources", lambda w: w.source),
        ("places", lambda w: w.village),
    ],
)
def test_a_slugged_object_is_found_by_id_and_by_slug(world, resource, item):
    found = item(world)

    by_id = Client().get(f"/api/v1/{resource}/{found.pk}/")
    by_slug = Client().get(f"/api/v1/{resource}/{found.slug}/")

    assert by_id.status_code == 200, by_id.content
    assert by_id.json() == by_slug.json()
    assert by_id.json()["id"] == found.pk


def test_a_claim_by_id_answers_its_etag_and_its_history(world):
    claim = world.published
    etag = Client().get(f"/api/v1/claims/{claim.slug}/")["ETag"]

    response = Client().get(f"/api/v1/claims/{claim.pk}/", HTTP_IF_NONE_MATCH=etag)
    history = Client().get(f"/api/v1/claims/{claim.pk}/history/")

    assert response.status_code == 304
    assert history.json()["claim"] == claim.slug


def test_a_draft_by_id_is_a_404_for_the_public(world):
    assert_problem(Client().get(f"/api/v1/claims/{world.draft.pk}/"), 404)


def test_an_editor_changes_a_claim_by_its_id(world, api, editor):
    client = api(editor)
    etag = client.get(f"/api/v1/claims/{world.draft.pk}/")["ETag"]

    response = client.patch(
        f"/api/v1/claims/{world.draft.pk}/",
        {"text": "Reworded by id."},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200, response.content
    assert response.json()["slug"] == world.draft.slug


@pytest.mark.parametrize(
    ("resource", "body"),
    [
        ("sources", {"name": "ISW", "kind": "think_tank", "affiliation": "other"}),
        ("places", {"name": "Sudzha", "kind": "town"}),
        ("events", {"title": "Kursk"}),
    ],
)
def test_an_all_digit_slug_is_refused(api, reviewer, resource, body):
    response = api(reviewer).post(
        f"/api/v1/{resource}/", {**body, "slug": "2025"}, format="json"
    )

    assert "slug" in assert_problem(response, 400, "invalid")["errors"]


def test_an_all_digit_claim_slug_is_refused(api, editor):
    response = api(editor).post(
        "/api/v1/claims/", {"text": "A claim.", "slug": "123"}, format="json"
    )

    assert "slug" in assert_problem(response, 400, "invalid")["errors"]


def test_the_database_refuses_an_all_digit_slug(db):
    from django.db import IntegrityError, transaction

    from tests.factories import EventFactory, SourceFactory

    for factory in (SourceFactory, EventFactory):
        with pytest.raises(IntegrityError), transaction.atomic():
            factory(slug="2025")


def test_a_source_gets_a_slug_from_its_name(api, reviewer):
    client = api(reviewer)
    body = {
        "name": "Institute for the Study of War",
        "kind": "think_tank",
        "affiliation": "independent",
    }

    first = client.post("/api/v1/sources/", body, format="json")
    second = client.post("/api/v1/sources/", body, format="json")

    assert first.status_code == 201, first.content
    assert first.json()["slug"] == "institute-for-the-study-of-war"
    assert second.json()["slug"] == "institute-for-the-study-of-war-2"


def test_a_name_of_digits_makes_a_slug_that_is_not_all_digits(api, reviewer):
    response = api(reviewer).post("/api/v1/events/", {"title": "2025"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "event-2025"


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (
            "sources/source",
            {
                "name": "ISW",
                "kind": "media",
                "affiliation": "other",
                "reliability": "B",
                "aliases": "[]",
            },
        ),
        ("claims/event", {"title": "Kursk"}),
        (
            "claims/place",
            {"name": "Sudzha", "kind": "town", "alternate_names": "[]"},
        ),
    ],
)
def test_the_admin_refuses_an_all_digit_slug(superuser, model, data):
    client = Client()
    client.force_login(superuser)

    response = client.post(f"/admin/{model}/add/", {**data, "slug": "2025"})

    assert response.status_code == 200
    assert "cannot be only digits" in response.text
