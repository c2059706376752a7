"""Who has a claim open in the admin right now: a warning to other staff, not
a lock (the version check still decides whose save wins).

Opening a claim's change page marks it, and the page's script marks it again
every minute while it stays open; a mark not renewed for ``PRESENCE_TIMEOUT``
has expired. The marks are rows, so every server process sees them without a
shared cache. A database that refuses writes (a standby, a failover in
progress) keeps the page working: the mark is skipped.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, connections, models, router, transaction
from django.utils import timezone
from django.utils.timesince import timesince

from verifier.postgresql.errors import refuses_writes

from .models import Claim

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

PRESENCE_TIMEOUT = datetime.timedelta(minutes=3)


class ClaimPresence(models.Model):
    """A member of staff with a claim's change page open."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    since = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "user"], name="claimpresence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.claim_id} since {self.since:%H:%M}"

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def describe(self, now: datetime.datetime | None = None) -> str:
        """ "Ana Koval has this claim open since 14:02 (last seen 1 minute ago)"."""
        now = now or timezone.now()
        since = timezone.localtime(self.since)
        seen = (
            "just now"
            if now - self.seen_at < datetime.timedelta(minutes=1)
            else f"{timesince(self.seen_at, now, depth=1)} ago"
        )
        return f"{self.name} has this claim open since {since:%H:%M} (last seen {seen})"


# One statement: a new mark, or the renewal of one. A mark that had expired
# starts again from now.
_MARK_SQL = """
INSERT INTO claims_claimpresence (claim_id, user_id, since, seen_at)
VALUES (%(claim)s, %(user)s, %(now)s, %(now)s)
ON CONFLICT (claim_id, user_id) DO UPDATE
   SET seen_at = EXCLUDED.seen_at,
       since = CASE WHEN claims_claimpresence.seen_at < %(expired)s
                    THEN EXCLUDED.since ELSE claims_claimpresence.since END
"""


def mark(claim_id: int, user: AbstractBaseUser) -> bool:
    """Mark ``user`` as having the claim open now; False when the database
    refuses writes at the moment (the mark is skipped, nothing else fails)."""
    now = timezone.now()
    using = router.db_for_write(ClaimPresence)
    try:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute(
                _MARK_SQL,
                {
                    "claim": claim_id,
                    "user": user.pk,
                    "now": now,
                    "expired": now - PRESENCE_TIMEOUT,
                },
            )
    except DatabaseError as error:
        if not refuses_writes(error):
            raise
        return False
    return True


def leave(claim_id: int, user: AbstractBaseUser) -> None:
    """``user`` closed the claim's page."""
    try:
        with transaction.atomic(using=router.db_for_write(ClaimPresence)):
            ClaimPresence.objects.filter(claim_id=claim_id, user_id=user.pk).delete()
    except DatabaseError as error:
        if not refuses_writes(error):
            raise


def fresh() -> models.QuerySet[ClaimPresence]:
    """Marks not yet expired, oldest first, with their users."""
    return (
        ClaimPresence.objects.filter(seen_at__gte=timezone.now() - PRESENCE_TIMEOUT)
        .select_related("user")
        .order_by("since", "id")
    )


def others(
    claim_id: int, user: AbstractBaseUser | AnonymousUser
) -> list[ClaimPresence]:
    """Who else has the claim open now."""
    return list(fresh().filter(claim_id=claim_id).exclude(user_id=user.pk))


def open_by(
    claim_ids: Iterable[int], user: AbstractBaseUser | AnonymousUser
) -> dict[int, list[str]]:
    """For each of the claims that others have open now, their names: one
    query for a whole page of claims."""
    names: dict[int, list[str]] = {}
    for presence in (
        fresh().filter(claim_id__in=list(claim_ids)).exclude(user_id=user.pk)
    ):
        names.setdefault(presence.claim_id, []).append(presence.name)
    return names
