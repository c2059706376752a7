"""Claims as JSON written by PostgreSQL, for the API's hot reads.

One statement reads a page of claims, or one claim, with every part the API
shows, and writes the JSON of ``ClaimSerializer`` / ``ClaimDetailSerializer``:
the statement is compiled from those serializers (``verifier.json_shape``), so
a field added to them is written here too. The view passes the text through
to the client (``orjson.Fragment``) without parsing it. Other databases (the
SQLite quickstart) get the serializers' own answer.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import orjson
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import BigIntegerField, F, Q, QuerySet, TextField
from django.db.models.functions import Cast

from claims.models import Claim, Visibility, sees_drafts
from verifier.json_shape import AnyOf, Parameter, prepared, shape
from verifier.postgresql.prepared import execute_prepared, fetch_prepared

from .serializers import SEES_DRAFTS, ClaimDetailSerializer, ClaimSerializer

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


# Compiled when the module loads: a field the database cannot write is an
# error here, not a different answer later.
_LIST_JSON = Cast(shape(ClaimSerializer), TextField())
_DETAIL_JSON = Cast(shape(ClaimDetailSerializer), TextField())

_IDS = Parameter("ids", "bigint[]", output_field=ArrayField(BigIntegerField()))
_VISIBLE = SEES_DRAFTS | Q(visibility=Visibility.PUBLISHED)

# A claim is named by its id or its slug (never all digits): one statement each.
_KEYS = {"id": "bigint", "slug": "text"}


def _list_query() -> tuple[str, str]:
    """The claims with the given ids, each with its JSON, in no order."""
    claims = Claim.objects.filter(AnyOf(F("pk"), _IDS)).order_by()
    return prepared(claims.values_list("pk", _LIST_JSON), ["ids"])


def _named(key: str) -> QuerySet[Claim]:
    """The claim with the given id or slug, if the reader may see it."""
    given = Parameter("key", _KEYS[key])
    return Claim.objects.filter(_VISIBLE, **{key: given}).order_by()


def _version_query(key: str) -> tuple[str, str]:
    return prepared(_named(key).values_list("pk", "version"), ["key", "sees_drafts"])


def _detail_query(key: str) -> tuple[str, str]:
    return prepared(
        _named(key).values_list("pk", "version", _DETAIL_JSON), ["key", "sees_drafts"]
    )


# Planning these statements takes about twice as long as running them, so each
# connection prepares them once (verifier.postgresql.prepared); their SQL is
# compiled once per process, on first use.
_QUERIES = {
    "verifier_claim_list": _list_query,
    **{
        f"verifier_claim_{kind}_by_{key}": functools.partial(query, key)
        for key in _KEYS
        for kind, query in (("version", _version_query), ("detail", _detail_query))
    },
}

_STATEMENTS = {
    # The list's default page (no parameters): the keys its ETag is made of,
    # in the order and visibility of ClaimViewSet's page query.
    "verifier_claim_first_page": (
        "boolean, integer",
        "SELECT id, version FROM claims_claim WHERE ($1 OR visibility = 'published') "
        "ORDER BY updated_at DESC, id DESC LIMIT $2",
    ),
}


def _statement(name: str) -> tuple[str, str]:
    if name not in _STATEMENTS:
        _STATEMENTS[name] = _QUERIES[name]()
    return _STATEMENTS[name]


def _execute(name: str, *params: object) -> tuple | None:
    """Run the prepared statement ``name``; the first row of its answer."""
    types, sql = _statement(name)
    return execute_prepared(name, types, sql, *params, reads=Claim)


def claim_list_json(claims: Sequence[Claim]) -> orjson.Fragment | list:
    """The JSON of ``ClaimSerializer(claims, many=True)``, in one query."""
    ids = [claim.pk for claim in claims]
    if connection.vendor != "postgresql":
        found = Claim.objects.filter(pk__in=ids).with_attribution().in_bulk()
        return ClaimSerializer([found[pk] for pk in ids], many=True).data
    types, sql = _statement("verifier_claim_list")
    rows = dict(fetch_prepared("verifier_claim_list", types, sql, ids, reads=Claim))
    found = ",".join(rows[pk] for pk in ids if pk in rows)
    return orjson.Fragment(f"[{found}]")


def first_page_versions(
    user: AbstractBaseUser | AnonymousUser, size: int
) -> list[tuple[int, int]] | None:
    """The ids and versions of the claims on the list's default first page
    (``size`` claims, newest change first), as ``user`` sees it, in one
    prepared statement; ``None`` elsewhere than on PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    types, sql = _STATEMENTS["verifier_claim_first_page"]
    return fetch_prepared(
        "verifier_claim_first_page", types, sql, sees_drafts(user), size, reads=Claim
    )


def _key(key: int | str) -> str:
    return "id" if isinstance(key, int) else "slug"


def claim_version(
    key: int | str, user: AbstractBaseUser | AnonymousUser
) -> Claim | None:
    """The claim with id or slug ``key`` as ``Claim(pk, version)``, enough for
    its ETag; ``None`` if ``user`` may not see it."""
    if connection.vendor != "postgresql":
        visible = Claim.objects.visible_to(user).filter(**{_key(key): key})
        return visible.only("pk", "version").first()
    row = _execute(f"verifier_claim_version_by_{_key(key)}", key, sees_drafts(user))
    return row and Claim(pk=row[0], version=row[1])


def claim_detail_json(
    key: int | str, user: AbstractBaseUser | AnonymousUser
) -> tuple[Claim, orjson.Fragment | dict] | None:
    """The claim with id or slug ``key`` (as ``Claim(pk, version)``) and the
    JSON of ``ClaimDetailSerializer``, in one query; ``None`` if ``user`` may
    not see it.
    """
    drafts = sees_drafts(user)
    if connection.vendor != "postgresql":
        visible = Claim.objects.visible_to(user).with_attribution().with_links(user)
        claim = visible.filter(**{_key(key): key}).first()
        return claim and (claim, ClaimDetailSerializer(claim).data)
    row = _execute(f"verifier_claim_detail_by_{_key(key)}", key, drafts)
    if row is None:
        return None
    return Claim(pk=row[0], version=row[1]), orjson.Fragment(row[2])
