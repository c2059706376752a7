"""The desk's queues on the admin index."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from claims.admin.scale import capped_count
from claims.models import Claim
from claims.queues import queues_for

register = template.Library()

# A queue longer than this reads "1,000+": past it, the number changes no
# one's next step, and counting it would read every row.
QUEUE_COUNT_LIMIT = 1000


@register.inclusion_tag("admin/claims/queues.html", takes_context=True)
def desk_queues(context: dict[str, Any]) -> dict[str, Any]:
    """Each of the user's queues with its count (one query each, reading at
    most ``QUEUE_COUNT_LIMIT + 1`` claims: "1,000+" past it) and the claim
    list filtered to it."""
    user = context["request"].user
    changelist = reverse("admin:claims_claim_changelist")
    now = timezone.now()
    return {
        "queues": [
            {
                "title": queue.title,
                "slug": queue.slug,
                "count": capped_count(
                    queue.claims(Claim.objects.all(), user, now), QUEUE_COUNT_LIMIT
                ),
                "url": f"{changelist}?queue={queue.slug}",
            }
            for queue in queues_for(user)
        ]
    }
