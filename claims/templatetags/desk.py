"""The desk's queues on the admin index."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from claims.queues import queues_for

register = template.Library()


@register.inclusion_tag("admin/claims/queues.html", takes_context=True)
def desk_queues(context: dict[str, Any]) -> dict[str, Any]:
    """Each of the user's queues with its count (one query each) and the
    claim list filtered to it."""
    user = context["request"].user
    changelist = reverse("admin:claims_claim_changelist")
    now = timezone.now()
    return {
        "queues": [
            {
                "title": queue.title,
                "slug": queue.slug,
                "count": queue.claims(Claim.objects.all(), user, now).count(),
                "url": f"{changelist}?queue={queue.slug}",
            }
            for queue in queues_for(user)
        ]
    }
