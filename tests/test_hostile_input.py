"""Hostile input never gives a server error, wherever it enters.

Property-based: hypothesis draws NUL bytes, lone surrogates (escaped in JSON
and as raw, invalid UTF-8), huge and negative integers, non-finite floats,
datetimes in the years 1 and 9999 with any offset, long strings and odd
shapes, and sends them in every writable field of every write operation,
every query parameter of every read (repeated, unknown, and tampered
cursors too), bodies nested thousands of levels deep, every path lookup, the
headers the API reads, and the admin's forms. The operations come from the
OpenAPI schema, so a new endpoint is covered without being listed here.

Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (the default) draws a few examples
per operation; ``full`` (``make fuzz``) draws enough for more than 10,000 in
all. Each example runs inside a savepoint that is rolled back, so every
example meets the same data.
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken

from tests.claims.conftest import World
from tests.openapi import operations, schema

settings.register_profile(
    "ci",
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "full",
    max_examples=200,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

pytestmark = pytest.mark.django_db

EXAMPLES = {"count": 0}


@pytest.fixture(scope="module", autouse=True)
def _report_examples(request):
    """Count the examples run: ``HOSTILE_INPUT_COUNT_FILE`` gets one line per
    test process (``make fuzz`` adds them up)."""
    yield
    path = os.environ.get("HOSTILE_INPUT_COUNT_FILE")
    if path:
        with open(path, "a") as counts:
            counts.write(f"{EXAMPLES['count']}\n")


# Hostile values --------------------------------------------------------------

ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
NASTY_TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=50),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "\ud800",
            "x\udfffy",
            "\ufeff",
            "‮",
            "' OR 1=1 --",
            "%00",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "Демидовка",
            "𝕏" * 300,
            "x" * 5001,
            "я" * 40_000,
        ]
    ),
)
HUGE_NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**100]),
    st.floats(allow_nan=True, allow_infinity=True),
)
EXTREME_MOMENTS = st.one_of(
    st.datetimes(
        min_value=datetime.datetime(1, 1, 1),  # noqa: DTZ001 (timezones below)
        max_value=datetime.datetime(9999, 12, 31, 23, 59, 59),  # noqa: DTZ001
        timezones=st.one_of(
            st.none(),
            st.builds(
                datetime.timezone,
                st.timedeltas(
                    min_value=datetime.timedelta(hours=-23, minutes=-59),
                    max_value=datetime.timedelta(hours=23, minutes=59),
                ),
            ),
        ),
    ).map(lambda moment: moment.isoformat()),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+05:00",
            "0001-01-01",
            "9999-12-31T23:59:59.999999-23:59",
            "9999-12-31",
            "2025-02-30",
            "2025-13-01T00:00:00Z",
            "10000-01-01",
            "-0001-01-01",
        ]
    ),
)
SCALARS = st.one_of(NASTY_TEXT, HUGE_NUMBERS, EXTREME_MOMENTS, st.booleans(), st.none())
HOSTILE = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(NASTY_TEXT, children, max_size=5),
    ),
    max_leaves=10,
)


def raw_text(value: str) -> bytes:
    """A string as bytes, lone surrogates and all (invalid UTF-8)."""
    return value.encode("utf-8", "surrogatepass")


def url_text(value: str) -> str:
    return quote(raw_text(value), safe="")


# The objects an operation's path names --------------------------------------

LOOKUPS = {
    "claims": lambda w: w.published.slug,
    "events": lambda w: w.event.slug,
    "places": lambda w: w.village.slug,
    "sources": lambda w: w.source.slug,
    "documents": lambda w: w.document.pk,
    "statements": lambda w: w.statement.pk,
    "evidence": lambda w: w.evidence.pk,
    "links": lambda w: w.link.pk,
    "webhooks": lambda w: _webhook(w),
}


def _webhook(world: World) -> int:
    """A webhook endpoint's id, made the first time it is asked for."""
    from verifier.webhooks.models import Endpoint

    if not hasattr(world, "webhook"):
        world.webhook = Endpoint.objects.create(url="https://93.184.216.34/hook")
    return world.webhook.pk


def concrete(path: str, world: World) -> str:
    resource = path.split("/")[3]
    value = LOOKUPS[resource](world) if "{" in path else None
    return path.replace("{slug}", str(value)).replace("{id}", str(value))


@pytest.fixture
def world(reviewer) -> World:
    return World(reviewer)


@pytest.fixture
def token(superuser) -> str:
    _, token = AuthToken.objects.create(user=superuser)
    return token


def send(method: str, path: str, *, body: bytes | None = None, **headers: Any):
    """One request in a savepoint that is rolled back afterwards."""
    EXAMPLES["count"] += 1
    savepoint = transaction.savepoint()
    try:
        kwargs: dict[str, Any] = dict(headers)
        if body is not None:
            kwargs["content_type"] = "application/json"
        return Client(raise_request_exception=False).generic(
            method, path, body or b"", **kwargs
        )
    finally:
        transaction.savepoint_rollback(savepoint)


def assert_clean(response) -> None:
    assert response.status_code < 500, response.content[:2000]
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert json.loads(response.content)["status"] == response.status_code


# Bodies ---------------------------------------------------------------------

WRITES = [op for op in operations() if op.has_body and "auth/" not in op.path]


def _body_strategy(operation) -> st.SearchStrategy[bytes]:
    request_schema = operation.request_schema(schema()) or {}
    fields = list(request_schema.get("properties", {}))
    as_dict = st.fixed_dictionaries({}, optional=dict.fromkeys(fields, HOSTILE)).map(
        lambda body: json.dumps(body).encode()
    )
    raw = st.one_of(
        HOSTILE.map(lambda body: json.dumps(body).encode()),
        st.binary(max_size=200),
        st.dictionaries(st.sampled_from(fields or ["x"]), NASTY_TEXT, max_size=4).map(
            # Lone surrogates as raw bytes: not UTF-8 at all.
            lambda body: raw_text(json.dumps(body, ensure_ascii=False))
        ),
    )
    return st.one_of(as_dict, as_dict, raw)


@pytest.mark.parametrize("operation", WRITES, ids=str)
def test_hostile_bodies_are_refused_cleanly(world, token, operation):
    path = concrete(operation.path, world)

    @settings(settings.get_profile(PROFILE))
    @given(body=_body_strategy(operation))
    def check(body: bytes) -> None:
        response = send(
            operation.method.upper(),
            path,
            body=body,
            HTTP_AUTHORIZATION=f"Token {token}",
            HTTP_IF_MATCH="*",
        )
        assert_clean(response)

    check()


def _nested(depth: int, as_object: bool, field: str) -> bytes:
    opening, closing = ('{"a":', "}") if as_object else ("[", "]")
    inner = opening * depth + "1" + closing * depth
    return f'{{"{field}": {inner}}}'.encode()


@pytest.mark.parametrize("operation", WRITES, ids=str)
def test_deeply_nested_bodies_are_refused_cleanly(world, token, operation):
    path = concrete(operation.path, world)
    request_schema = operation.request_schema(schema()) or {}
    fields = list(request_schema.get("properties", {})) or ["x"]

    @settings(
        settings.get_profile(PROFILE),
        max_examples=max(5, settings.get_profile(PROFILE).max_examples // 2),
    )
    @given(
        depth=st.one_of(
            st.integers(min_value=1, max_value=1200),
            st.sampled_from([31, 32, 33, 999, 1000, 5000, 100_000]),
        ),
        as_object=st.booleans(),
        field=st.sampled_from(fields),
    )
    def check(depth: int, as_object: bool, field: str) -> None:
        response = send(
            operation.method.upper(),
            path,
            body=_nested(depth, as_object, field),
            HTTP_AUTHORIZATION=f"Token {token}",
            HTTP_IF_MATCH="*",
        )
        assert_clean(response)
        if depth >= 32:
            assert response.status_code == 400

    check()


def test_a_deeply_nested_sign_in_is_refused_cleanly():
    body = _nested(100_000, as_object=False, field="username")

    response = send("POST", "/api/v1/auth/login/", body=body)

    assert_clean(response)
    assert response.status_code == 400


def test_a_bodiless_write_with_a_body_of_megabytes_is_refused(world, token):
    response = send(
        "POST",
        "/api/v1/claims/",
        body=json.dumps({"text": "x" * (2 * 1024 * 1024)}).encode(),
        HTTP_AUTHORIZATION=f"Token {token}",
    )

    assert response.status_code == 413


# Query parameters -----------------------------------------------------------

READS = [op for op in operations() if op.method == "get" and op.query_parameters]


@pytest.mark.parametrize("operation", READS, ids=str)
def test_hostile_query_parameters_are_refused_cleanly(world, token, operation):
    path = concrete(operation.path, world)
    names = [p["name"] for p in operation.query_parameters]
    value = st.one_of(
        NASTY_TEXT,
        HUGE_NUMBERS.map(str),
        EXTREME_MOMENTS,
        st.lists(NASTY_TEXT, max_size=3).map(",".join),
    )

    @settings(settings.get_profile(PROFILE))
    @given(
        params=st.dictionaries(st.sampled_from(names), value, min_size=1),
        signed_in=st.booleans(),
    )
    def check(params: dict[str, str], signed_in: bool) -> None:
        query = "&".join(f"{name}={url_text(v)}" for name, v in params.items())
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if signed_in else {}
        assert_clean(send("GET", f"{path}?{query}", **headers))

    check()


@pytest.mark.parametrize("operation", READS, ids=str)
def test_repeated_and_unknown_query_parameters_are_refused_cleanly(
    world, token, operation
):
    path = concrete(operation.path, world)
    names = [p["name"] for p in operation.query_parameters]
    name = st.one_of(st.sampled_from(names), NASTY_TEXT.filter(bool))
    value = st.one_of(NASTY_TEXT, HUGE_NUMBERS.map(str), EXTREME_MOMENTS)

    @settings(settings.get_profile(PROFILE))
    @given(pairs=st.lists(st.tuples(name, value), min_size=1, max_size=6))
    def check(pairs: list[tuple[str, str]]) -> None:
        query = "&".join(f"{url_text(n)}={url_text(v)}" for n, v in pairs)
        response = send("GET", f"{path}?{query}", HTTP_AUTHORIZATION=f"Token {token}")
        assert_clean(response)
        unknown = {n for n, _ in pairs} - set(names)
        if unknown:
            # A format the export cannot give is refused before the rest.
            refusals = {400, 406} if "format" in names else {400}
            assert response.status_code in refusals

    check()


LISTS = [op for op in READS if "cursor" in {p["name"] for p in op.query_parameters}]
CURSOR_TEXT = st.one_of(
    st.builds(
        "&".join,
        st.lists(
            st.builds(
                "{}={}".format,
                st.sampled_from(["o", "r", "p", "x"]),
                st.one_of(NASTY_TEXT, HUGE_NUMBERS.map(str), EXTREME_MOMENTS),
            ),
            max_size=4,
        ),
    ),
    st.text(ANY_CHARACTER, max_size=40),
)


@pytest.mark.parametrize("operation", LISTS, ids=str)
def test_tampered_cursors_are_refused_cleanly(world, token, operation):
    import base64

    path = concrete(operation.path, world)

    @settings(settings.get_profile(PROFILE))
    @given(
        cursor=st.one_of(
            CURSOR_TEXT.map(lambda text: base64.b64encode(raw_text(text)).decode()),
            NASTY_TEXT,
        ),
        signed_in=st.booleans(),
    )
    def check(cursor: str, signed_in: bool) -> None:
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if signed_in else {}
        response = send("GET", f"{path}?cursor={url_text(cursor)}", **headers)
        assert_clean(response)
        if not signed_in and path.startswith("/api/v1/webhooks/"):
            # Admins only: the anonymous are told to sign in first.
            assert response.status_code == 401
        else:
            assert response.status_code in {200, 400}

    check()


# Lookups --------------------------------------------------------------------

ITEMS = [op for op in operations() if "{" in op.path]


@pytest.mark.parametrize("operation", ITEMS, ids=str)
def test_hostile_lookups_are_refused_cleanly(world, token, operation):
    @settings(
        settings.get_profile(PROFILE),
        max_examples=max(5, settings.get_profile(PROFILE).max_examples // 3),
    )
    @given(
        lookup=st.one_of(
            NASTY_TEXT, HUGE_NUMBERS.map(str), st.sampled_from(["0", "-1", " ", "."])
        )
    )
    def check(lookup: str) -> None:
        segment = url_text(lookup) or "%20"
        path = operation.path.replace("{slug}", segment).replace("{id}", segment)
        body = b"{}" if operation.has_body else None
        response = send(
            operation.method.upper(),
            path,
            body=body,
            HTTP_AUTHORIZATION=f"Token {token}",
            HTTP_IF_MATCH="*",
        )
        assert_clean(response)
        assert response.status_code in {400, 404, 405}

    check()


# Headers --------------------------------------------------------------------


@settings(
    settings.get_profile(PROFILE),
    max_examples=max(20, settings.get_profile(PROFILE).max_examples * 4),
)
@given(
    name=st.sampled_from(
        [
            "HTTP_AUTHORIZATION",
            "HTTP_IF_MATCH",
            "HTTP_IF_NONE_MATCH",
            "HTTP_ACCEPT",
            "HTTP_ACCEPT_LANGUAGE",
            "HTTP_X_FORWARDED_FOR",
            "HTTP_ORIGIN",
            "CONTENT_LENGTH",
        ]
    ),
    value=st.one_of(
        NASTY_TEXT.filter(lambda v: "\n" not in v and "\r" not in v),
        st.sampled_from(
            [
                "Token " + "\x00" * 10,
                "Token vrf_" + "a" * 10_000,
                "Basic " + "=" * 10,
                "Basic \ud800",
                'W/"1.99999999999999999999999"',
                '"9223372036854775808.1"',
                "*/*;q=NaN",
                "application/json; version=\x00",
                "-1",
                "99999999999999999999",
            ]
        ),
    ),
    method=st.sampled_from(["GET", "PATCH"]),
)
def test_hostile_headers_are_refused_cleanly(world, method, name, value):
    path = f"/api/v1/claims/{world.published.slug}/"
    body = b'{"text": "Reworded."}' if method == "PATCH" else None

    # As a WSGI server hands them over: bytes, decoded as Latin-1 (PEP 3333).
    value = raw_text(value).decode("latin-1")

    assert_clean(send(method, path, body=body, **{name: value}))


# Admin forms ----------------------------------------------------------------

ADMIN_FORMS = {
    "sources/source": ["name", "slug", "kind", "affiliation", "reliability"],
    "sources/document": ["title", "url", "published_at_0", "published_at_1"],
    "claims/place": ["name", "slug", "kind", "latitude", "longitude"],
    "claims/event": ["title", "slug", "summary", "starts_on", "ends_on"],
    "claims/claim": ["text", "slug", "event"],
}


@pytest.mark.parametrize("model", ADMIN_FORMS)
def test_hostile_admin_forms_are_refused_cleanly(superuser, model):
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    text = st.one_of(NASTY_TEXT, HUGE_NUMBERS.map(str), EXTREME_MOMENTS)

    @settings(
        settings.get_profile(PROFILE),
        max_examples=max(5, settings.get_profile(PROFILE).max_examples // 2),
    )
    @given(
        data=st.fixed_dictionaries({}, optional=dict.fromkeys(ADMIN_FORMS[model], text))
    )
    def check(data: dict[str, str]) -> None:
        EXAMPLES["count"] += 1
        body = "&".join(f"{quote(k)}={url_text(v)}" for k, v in data.items())
        savepoint = transaction.savepoint()
        try:
            response = client.post(
                f"/admin/{model}/add/",
                body,
                content_type="application/x-www-form-urlencoded",
            )
        finally:
            transaction.savepoint_rollback(savepoint)
        assert response.status_code < 500, response.content[:2000]

    check()


@pytest.mark.parametrize("value", ["-0001-01-01", "abc", "\x00", str(2**64)])
def test_an_autocomplete_field_with_a_bad_id_is_a_form_error(superuser, value):
    client = Client()
    client.force_login(superuser)

    response = client.post(
        "/admin/claims/claim/add/", {"text": "A claim.", "event": value}
    )

    assert response.status_code == 200
    assert "<title>Error: Add claim" in response.text


RFC_3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("0001-01-01T05:00:00+05:00", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ("2025-03-20T12:00:00+03:00", "2025-03-20T09:00:00Z"),
    ],
)
def test_extreme_datetimes_come_back_in_utc_as_rfc_3339(token, sent, stored):
    import re

    response = send(
        "POST",
        "/api/v1/documents/",
        body=json.dumps({"title": "Dated", "published_at": sent}).encode(),
        HTTP_AUTHORIZATION=f"Token {token}",
    )

    assert response.status_code == 201, response.content
    published_at = response.json()["published_at"]
    assert re.match(RFC_3339, published_at)
    assert published_at == stored


@pytest.mark.parametrize(
    "sent", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]
)
def test_a_datetime_beyond_the_years_1_to_9999_in_utc_is_a_400(token, sent):
    response = send(
        "POST",
        "/api/v1/documents/",
        body=json.dumps({"title": "Dated", "published_at": sent}).encode(),
        HTTP_AUTHORIZATION=f"Token {token}",
    )

    assert response.status_code == 400
    assert "published_at" in response.json()["errors"]
