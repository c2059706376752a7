"""Which public pages a change alters, counted in the change's own transaction.

Every public page is validated (``ETag``, the page cache's key) by counters
kept in ``PageVersion`` rows. A change increments the counters of the pages
it alters in the same transaction as the change, so the new value becomes
visible exactly when the change commits, on the primary and on a replica
alike: no timestamps, no window in which a change committing late hides
behind a newer one.

The counters:

- ``claim:<id>``: the claim's own page, bumped when the claim or any of its
  parts changes (statements, evidence, links, the verdict timeline and the
  evidence each verdict rests on, its places).
- ``card:<id>``: what other claims' pages show of the claim (wording, slug,
  verdict, whether it is published). A claim page's validator adds up the
  cards of the claims it links to and is linked from, so it changes when one
  of them is reworded, re-judged, published or unpublished, and not when one
  of them gains a statement.
- ``reference``: sources, documents, events and places, which change rarely
  and show on many pages; every claim page counts it. Bumping every claim
  page for a renamed source over-invalidates, never under-invalidates.
- ``lists:<n>``: what the listing pages (index, search, event, source and
  place pages, feeds, sitemap) show; they share one validator, the sum of
  ``LIST_SHARDS`` rows. A single row would serialize every writer of a
  public claim on its lock until commit; each database connection (one per
  server thread) bumps a shard of its own instead, so a transaction locks at
  most one shard and concurrent writers rarely meet. Counters only grow, so
  their sum changes with every commit that bumps one.

Only what the public may see counts: a claim never published shows nowhere,
so nothing done to it or its parts bumps anything (``_once_published``); a
document or an event counts once a claim that is or was published cites it,
a new source or place once it is public reference data. A counter
that was never written reads as 0, so rows written in bulk around the models
(``bench/generate.py``) need nothing.

Changes are seen where every write passes: model signals (saves, deletes and
many-to-many changes of the public models), so the admin, the API, the
services and commands are all covered. A write that bypasses them
(``QuerySet.update``, ``bulk_create``, SQL) changes no validator. Each bump
is one upsert with its names in a fixed order; claims' rows are bumped by
writers that hold the claims' row locks (``claims.services``), so two
writers do not wait on each other's counters in opposite orders.

Reading: one query per request (``page_version``), prepared once per
connection on PostgreSQL. Reading the validator before the page's data means
a page may be kept under a validator older than what it shows, never newer.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, router
from django.db.models import Model, Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from sources.models import Document, Source
from verifier.postgresql.prepared import execute_prepared

from .models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    PageVersion,
    Place,
    Statement,
    StatusChange,
)

LIST_SHARDS = 16
REFERENCE = "reference"
# What another claim's page shows of a claim: a save of any other field
# (a new version, the time of the change) leaves its card as it was.
CARD_FIELDS = frozenset({"text", "slug", "status", "visibility", "published_at"})
# Who has a claim in hand is the desk's business: it shows on no public page
# (an assignment is a new version of the claim, and changes nothing else).
DESK_FIELDS = frozenset({"assignee", "version"})


def _lists() -> str:
    """This connection's shard of the lists' counter."""
    digest = hashlib.blake2b(f"{os.getpid()}.{threading.get_ident()}".encode())
    return f"lists:{int.from_bytes(digest.digest()[:4], 'big') % LIST_SHARDS}"


def bump(names: Iterable[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Add one to each named counter, in the transaction of database
    ``using`` (where the change is written), in one statement."""
    names = sorted(set(names))
    if not names:
        return
    table = connection.ops.quote_name(PageVersion._meta.db_table)
    rows = ", ".join(["(%s, 1)"] * len(names))
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, counter) VALUES {rows} "  # noqa: S608
            f"ON CONFLICT (name) DO UPDATE SET counter = {table}.counter + 1",
            names,
        )


def _once_published(ids: Iterable[int | None], using: str) -> list[int]:
    """Those of the claims that are, or once were, published."""
    ids = [pk for pk in ids if pk is not None]
    if not ids:
        return []
    return list(
        Claim._base_manager.using(using)
        .filter(pk__in=ids, published_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def claims_changed(ids: Iterable[int], *, using: str, card: bool = False) -> None:
    """The claims ``ids`` changed (their pages; their cards too if ``card``)."""
    shown = _once_published(ids, using)
    if shown:
        _bump_claims(shown, using=using, card=card)


def _bump_claims(ids: list[int], *, using: str, card: bool) -> None:
    names = [f"claim:{pk}" for pk in ids]
    if card:
        names += [f"card:{pk}" for pk in ids]
    bump([*names, _lists()], using=using)


def reference_changed(*, using: str) -> None:
    """Reference data changed: every claim page and every list."""
    bump([REFERENCE, _lists()], using=using)


# What each change bumps ------------------------------------------------------


@receiver(post_save, sender=Claim)
def _claim_saved(
    instance: Claim, update_fields: Any, using: str, **kwargs: Any
) -> None:
    if update_fields is not None and update_fields <= DESK_FIELDS:
        return
    card = update_fields is None or bool(CARD_FIELDS & update_fields)
    claims_changed([instance.pk], using=using, card=card)


@receiver(post_delete, sender=Claim)
def _claim_deleted(instance: Claim, using: str, **kwargs: Any) -> None:
    # Its row is gone: what it was is what the instance says.
    if instance.published_at is not None:
        _bump_claims([instance.pk], using=using, card=True)


@receiver(post_save, sender=Statement)
@receiver(post_delete, sender=Statement)
@receiver(post_save, sender=Evidence)
@receiver(post_delete, sender=Evidence)
@receiver(post_save, sender=StatusChange)
@receiver(post_delete, sender=StatusChange)
def _part_changed(
    instance: Statement | Evidence | StatusChange, using: str, **kwargs: Any
) -> None:
    claims_changed([instance.claim_id], using=using)


@receiver(post_save, sender=ClaimLink)
@receiver(post_delete, sender=ClaimLink)
def _link_changed(instance: ClaimLink, using: str, **kwargs: Any) -> None:
    # A published claim shows no link to a claim never published.
    shown = _once_published([instance.from_claim_id, instance.to_claim_id], using)
    if len(shown) == 2:
        _bump_claims(shown, using=using, card=False)


@receiver(post_save, sender=Source)
@receiver(post_save, sender=Place)
def _reference_saved(
    instance: Source | Place, created: bool, using: str, **kwargs: Any
) -> None:
    # A new one shows nowhere until a claim that is published is about it
    # (that claim's change counts then), unless made public reference data.
    # Whether an edited one was public before is not known after the edit
    # (``is_reference`` unset): any edit counts.
    if not created or getattr(instance, "is_reference", False):
        reference_changed(using=using)


@receiver(post_delete, sender=Source)
@receiver(post_delete, sender=Place)
def _reference_deleted(using: str, **kwargs: Any) -> None:
    reference_changed(using=using)


@receiver(post_save, sender=Event)
@receiver(post_delete, sender=Event)
def _event_changed(instance: Event, using: str, **kwargs: Any) -> None:
    # An event shows only through the claims about it that are or were
    # published (a claim holds on to its event: one in use is not deleted).
    claims = Claim._base_manager.using(using)
    if claims.filter(event=instance.pk, published_at__isnull=False).exists():
        reference_changed(using=using)


@receiver(post_save, sender=Document)
@receiver(post_delete, sender=Document)
def _document_changed(instance: Document, using: str, **kwargs: Any) -> None:
    # Documents are added all day for drafts' evidence; one shows only once
    # a claim that is or was published cites it.
    cited = Q(statements__document=instance.pk) | Q(evidence__document=instance.pk)
    claims = Claim._base_manager.using(using)
    if claims.filter(cited, published_at__isnull=False).exists():
        reference_changed(using=using)


@receiver(m2m_changed, sender=Claim.places.through)
@receiver(m2m_changed, sender=StatusChange.evidence.through)
@receiver(m2m_changed, sender=Event.places.through)
def _relation_changed(instance: Model, action: str, using: str, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, Claim):
        claims_changed([instance.pk], using=using)
    elif isinstance(instance, (StatusChange, Evidence)):
        claims_changed([instance.claim_id], using=using)
    elif isinstance(instance, Event):
        _event_changed(instance, using)
    else:
        # A place's claims or events, changed from the place.
        reference_changed(using=using)


# Reading ---------------------------------------------------------------------


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


_TABLE = PageVersion._meta.db_table
_LISTS_SQL = (
    f"SELECT coalesce(sum(counter), 0) FROM {_TABLE} "  # noqa: S608
    f"WHERE name IN ({', '.join(_quoted(f'lists:{n}') for n in range(LIST_SHARDS))})"
)


def _cards(own: str, other: str) -> str:
    return (
        f"(SELECT sum(v.counter) FROM {ClaimLink._meta.db_table} l "  # noqa: S608
        f"JOIN {_TABLE} v ON v.name = 'card:' || l.{other}_id WHERE l.{own}_id = c.id)"
    )


_CLAIM_SQL = f"""
SELECT c.id,
       (SELECT v.counter FROM {_TABLE} v WHERE v.name = 'claim:' || c.id),
       {_cards("from_claim", "to_claim")},
       {_cards("to_claim", "from_claim")},
       (SELECT v.counter FROM {_TABLE} v WHERE v.name = {_quoted(REFERENCE)})
  FROM {Claim._meta.db_table} c
 WHERE c.slug = $1
"""  # noqa: S608


def _read(name: str, types: str, sql: str, *params: object) -> tuple | None:
    """The first row of ``sql``, prepared once per connection on PostgreSQL;
    on the database the model's reads go to (a replica's for the public)."""
    if connection.vendor == "postgresql":
        return execute_prepared(name, types, sql, *params, reads=PageVersion)
    with connections[router.db_for_read(PageVersion)].cursor() as cursor:
        cursor.execute(sql.replace("$1", "%s"), params)
        return cursor.fetchone()


def lists_version() -> str:
    """The listing pages' validator."""
    row = _read("verifier_lists_version", "", _LISTS_SQL)
    return f"lists.{row[0] if row else 0}"


def claim_version(slug: str) -> str:
    """The claim page's validator: the claim's counter, its related claims'
    cards and the reference data's; one value for no such claim."""
    row = _read("verifier_claim_version", "text", _CLAIM_SQL, slug)
    if row is None:
        return "claim.none"
    return "claim." + ".".join("" if value is None else str(value) for value in row)
