"""A claim's verdict and visibility: the change-status page, the submit,
publish and unpublish buttons on the claim page and the bulk actions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from claims import services
from claims.models import Claim, Status

from .badges import badge
from .forms import ChangeStatusForm
from .refusals import add_refusal, refusal_texts
from .review import ReviewAdmin

# What the claim page's visibility buttons ask for, and what each reports.
VISIBILITY_ACTIONS: dict[str, tuple[Callable[..., Claim], str]] = {
    "submit": (services.submit_claim, "Submitted for review"),
    "publish": (services.publish_claim, "Published"),
    "unpublish": (services.unpublish_claim, "Unpublished"),
}


class VerdictAdmin(ReviewAdmin):
    """The verdict views and actions of ``ClaimAdmin``."""

    # --- publishing

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("claims.publish_claim")

    def _apply(
        self,
        request: HttpRequest,
        claims: Iterable[Claim],
        service: Callable[..., Claim],
        done: str,
    ) -> None:
        succeeded, refused = 0, []
        for claim in claims:
            try:
                service(claim, by=request.user)
            except (ValidationError, PermissionDenied, services.StaleVersion) as error:
                refused.append(f"“{claim}”: {' '.join(refusal_texts(error))}")
            else:
                succeeded += 1
        if succeeded:
            noun = "claim" if succeeded == 1 else "claims"
            self.message_user(request, f"{done} {succeeded} {noun}.", messages.SUCCESS)
        for text in refused:
            self.message_user(request, text, messages.ERROR)

    @admin.action(description="Publish the selected claims", permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, services.publish_claim, "Published")

    @admin.action(description="Unpublish the selected claims", permissions=["publish"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, services.unpublish_claim, "Unpublished")

    # --- the claim page: change status, publish and unpublish buttons

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/status/",
                view(self.change_status_view),
                name="claims_claim_status",
            ),
            path(
                "<path:object_id>/visibility/",
                view(require_POST(self.visibility_view)),
                name="claims_claim_visibility",
            ),
            *self.review_urls(),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        user = request.user
        extra = {
            "can_change_status": user.has_perm("claims.change_claim_status"),
            "can_publish": self.has_publish_permission(request),
            "status_url": reverse("admin:claims_claim_status", args=[object_id]),
            "visibility_url": reverse(
                "admin:claims_claim_visibility", args=[object_id]
            ),
            **self.desk_context(request, unquote(object_id)),
        }
        return super().change_view(
            request, object_id, form_url, {**extra, **(extra_context or {})}
        )

    def _claim_or_404(self, request: HttpRequest, object_id: str) -> Claim:
        claim = self.get_object(request, unquote(object_id))
        if claim is None:
            raise Http404("No such claim.")
        return claim

    def visibility_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self._claim_or_404(request, object_id)
        change_url = reverse("admin:claims_claim_change", args=[claim.pk])
        service, done = VISIBILITY_ACTIONS.get(
            request.POST.get("action", ""), VISIBILITY_ACTIONS["unpublish"]
        )
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            service(claim, by=request.user, expected_version=version)
        except (services.StaleVersion, ValidationError, PermissionDenied) as error:
            self._refused(request, claim, error)
        else:
            self.message_user(request, f"{done}: “{claim}”.", messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def change_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self._claim_or_404(request, object_id)
        user = request.user
        if not (
            self.has_view_permission(request, claim)
            and user.has_perm("claims.change_claim_status")
        ):
            raise PermissionDenied
        change_url = reverse("admin:claims_claim_change", args=[claim.pk])
        may_set_final = user.has_perm("claims.set_final_status")
        locked = Status(claim.status) in Status.final() and not may_set_final
        form = ChangeStatusForm(
            request.POST if request.method == "POST" else None,
            claim=claim,
            may_set_final=may_set_final,
        )
        if request.method == "POST" and not locked and form.is_valid():
            data = form.cleaned_data
            try:
                change = services.change_status(
                    claim,
                    to=data["status"],
                    rationale=data["rationale"],
                    evidence=list(data["evidence"]),
                    by=user,
                    expected_version=data["version"],
                )
            except (services.StaleVersion, ValidationError, PermissionDenied) as error:
                add_refusal(form, error, claim)
            else:
                note = " (recorded as a correction)" if change.is_correction else ""
                self.message_user(
                    request, f"Status changed: {change}{note}.", messages.SUCCESS
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Change status",
            "subtitle": str(claim),
            "original": claim,
            "claim": claim,
            "form": form,
            "locked": locked,
            "change_url": change_url,
            "status": badge("status", claim.status, claim.get_status_display()),
            "timeline": claim.status_changes.select_related("changed_by"),
        }
        return TemplateResponse(
            request, "admin/claims/claim/change_status.html", context
        )
