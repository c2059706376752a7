"""The desk's queues: the claims that wait on someone, as the admin index
counts them and the claim list filters them (``?queue=<slug>``).

Each queue is one filter over the claims, so its count is one query however
many claims there are, and its list shows exactly the claims counted.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import Claim, Status, StatusChange, Visibility

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    Reader = AbstractBaseUser | AnonymousUser

STALE_AFTER = datetime.timedelta(hours=48)


def _returned_to(
    claims: QuerySet[Claim], user: Reader, now: datetime.datetime
) -> QuerySet[Claim]:
    """Drafts returned from review and not yet submitted again, that ``user``
    submitted or has in hand (``Claim.returned_to``, through its index)."""
    return claims.filter(returned_to__isnull=False).filter(
        Q(returned_to=user.pk) | Q(assignee=user.pk)
    )


def _start_of_day(now: datetime.datetime) -> datetime.datetime:
    return now.astimezone(datetime.UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


@dataclass(frozen=True)
class Queue:
    slug: str
    title: str
    select: Callable[[QuerySet[Claim], Reader, datetime.datetime], QuerySet[Claim]]
    # Who the queue is for; the others do not see it.
    permission: str = "claims.change_claim"

    def claims(
        self,
        claims: QuerySet[Claim],
        user: Reader,
        now: datetime.datetime | None = None,
    ) -> QuerySet[Claim]:
        return self.select(claims, user, now or timezone.now())


QUEUES = [
    Queue(
        "awaiting_review",
        "Awaiting review",
        lambda claims, user, now: claims.filter(visibility=Visibility.IN_REVIEW),
        permission="claims.publish_claim",
    ),
    Queue(
        "assigned_to_me",
        "Assigned to me",
        lambda claims, user, now: claims.filter(assignee=user.pk),
    ),
    Queue("returned_to_me", "Returned to me", _returned_to),
    Queue(
        "unverified_48h",
        "Unverified for over 48 hours",
        lambda claims, user, now: claims.filter(
            status=Status.UNVERIFIED, created_at__lt=now - STALE_AFTER
        ),
    ),
    Queue(
        "verdict_changed_today",
        "Verdict changed today",
        lambda claims, user, now: claims.filter(
            Exists(
                StatusChange.objects.filter(
                    ~Q(old_status=F("new_status")),
                    claim=OuterRef("pk"),
                    changed_at__gte=_start_of_day(now),
                )
            )
        ),
    ),
]
BY_SLUG = {queue.slug: queue for queue in QUEUES}


def queues_for(user: Reader) -> list[Queue]:
    """The queues ``user`` works from."""
    return [queue for queue in QUEUES if user.has_perm(queue.permission)]
