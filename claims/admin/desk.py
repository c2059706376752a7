"""The desk on a claim's pages: who else has the claim open, and the claims
closest to the one being written, with a one-click "Link as duplicate"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_POST

from claims import presence, services
from claims.models import Claim, LinkKind
from claims.search import SIMILAR_MAX_LENGTH

from .refusals import report_refusal

# A new claim this close to another one is named in a warning when saved.
DUPLICATE_WARNING_SCORE = 0.5


class DeskAdmin:
    """Presence and near-duplicates for ``ClaimAdmin``."""

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "similar/",
                view(require_GET(self.similar_view)),
                name="claims_claim_similar",
            ),
            path(
                "<path:object_id>/presence/",
                view(require_POST(self.presence_view)),
                name="claims_claim_presence",
            ),
            path(
                "<path:object_id>/duplicate/",
                view(require_POST(self.duplicate_view)),
                name="claims_claim_duplicate",
            ),
            *super().get_urls(),
        ]

    # --- the change list

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        rows = changelist.result_list
        names = presence.open_by((claim.pk for claim in rows), request.user)
        for claim in rows:
            claim.open_by_names = names.get(claim.pk, [])
        return changelist

    @admin.display(description="open by")
    def open_by(self, obj: Claim) -> str:
        names = getattr(obj, "open_by_names", [])
        if not names:
            return ""
        return format_html(
            ' <span class="claim-open-by">open by {}</span>', ", ".join(names)
        )

    # --- the claim's pages

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {"similar_url": reverse("admin:claims_claim_similar")}
        return super().add_view(request, form_url, {**extra, **(extra_context or {})})

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra: dict[str, Any] = {
            "similar_url": reverse("admin:claims_claim_similar"),
            "presence_url": reverse("admin:claims_claim_presence", args=[object_id]),
            "duplicate_url": reverse("admin:claims_claim_duplicate", args=[object_id]),
        }
        claim = self.get_object(request, unquote(object_id))
        if claim is not None and self.has_view_permission(request, claim):
            if request.method == "GET":
                presence.mark(claim.pk, request.user)
            extra["presence_others"] = [
                other.describe() for other in presence.others(claim.pk, request.user)
            ]
        return super().change_view(
            request, object_id, form_url, {**extra, **(extra_context or {})}
        )

    def response_add(
        self, request: HttpRequest, obj: Claim, post_url_continue: str | None = None
    ) -> HttpResponse:
        close = [
            claim
            for claim in Claim.objects.similar(obj.text, user=request.user, limit=4)
            if claim.pk != obj.pk and claim.similarity >= DUPLICATE_WARNING_SCORE
        ]
        if close:
            self.message_user(
                request,
                format_html(
                    "This claim may duplicate {}.",
                    format_html_join(
                        ", ",
                        '<a href="{}">“{}”</a>',
                        (
                            (
                                reverse("admin:claims_claim_change", args=[claim.pk]),
                                Truncator(claim.text).chars(80),
                            )
                            for claim in close
                        ),
                    ),
                ),
                messages.WARNING,
            )
        return super().response_add(request, obj, post_url_continue)

    # --- the endpoints of the page's script

    def similar_view(self, request: HttpRequest) -> HttpResponse:
        """The claims closest to ``text``, for the panel under the text field."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        text = request.GET.get("text", "")
        if not text.strip() or len(text) > SIMILAR_MAX_LENGTH:
            return HttpResponseBadRequest(
                f"Give a text of 1 to {SIMILAR_MAX_LENGTH} characters."
            )
        exclude = request.GET.get("exclude", "")
        claims = Claim.objects.similar(text, user=request.user, limit=6)
        return JsonResponse(
            {
                "results": [
                    {
                        "id": claim.pk,
                        "text": str(claim),
                        "status": claim.status,
                        "status_label": claim.get_status_display(),
                        "url": reverse("admin:claims_claim_change", args=[claim.pk]),
                        "score": round(claim.similarity, 3),
                    }
                    for claim in claims
                    if str(claim.pk) != exclude
                ][:5]
            }
        )

    def presence_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The page's heartbeat (``leave``: the page is closing): who else has
        the claim open."""
        claim = self._claim_or_404(request, object_id)
        if not self.has_view_permission(request, claim):
            raise PermissionDenied
        if request.POST.get("leave"):
            presence.leave(claim.pk, request.user)
            return HttpResponse(status=204)
        presence.mark(claim.pk, request.user)
        others = presence.others(claim.pk, request.user)
        return JsonResponse({"others": [other.describe() for other in others]})

    def duplicate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Link the claim as a duplicate of another, at the page's version."""
        claim = self._claim_or_404(request, object_id)
        change_url = reverse("admin:claims_claim_change", args=[claim.pk])
        if not self.has_change_permission(request, claim):
            raise PermissionDenied
        try:
            version = int(request.POST.get("version", ""))
            other = self.get_queryset(request).get(pk=int(request.POST.get("to", "")))
        except (ValueError, Claim.DoesNotExist):
            self.message_user(request, "No such claim to link.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        try:
            services.link_claims(
                claim,
                other,
                kind=LinkKind.DUPLICATES,
                by=request.user,
                expected_version=version,
            )
        except (services.StaleVersion, ValidationError, PermissionDenied) as error:
            report_refusal(self, request, error, claim)
        else:
            self.message_user(
                request, f"Linked as a duplicate of “{other}”.", messages.SUCCESS
            )
        return HttpResponseRedirect(change_url)
