"""The desk on the claim page: submitting, returning with a note, publishing
after a look at what goes out, the assignee, notes and the review steps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from claims import services
from claims.models import Claim, ReviewStep, Visibility

from .badges import badge
from .filters import QueueFilter
from .refusals import add_refusal, report_refusal


class ReturnForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="What the claim needs before it can be published. The editor "
        "sees it on the claim page.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


def assignable_users() -> QuerySet:
    """Who can be handed a claim (``services.may_be_assigned``), in one query."""
    may_edit = Permission.objects.filter(
        content_type__app_label="claims", codename="change_claim"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=may_edit)
            | Q(groups__permissions__in=may_edit)
        )
        .distinct()
        .order_by("username")
    )


def _pk(raw: str) -> int:
    """A claim's key from an address; 0, which names nothing, if it is none."""
    return int(raw) if raw.isascii() and raw.isdigit() else 0


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


class ReviewAdmin:
    """The desk's views and actions of ``ClaimAdmin``."""

    # The audit history, with the desk's steps below it.
    object_history_template = "admin/claims/claim/object_history.html"

    def history_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        pk = _pk(unquote(object_id))
        if not pk:
            raise Http404("No such claim.")
        steps = ReviewStep.objects.filter(claim_id=pk).select_related("by", "note")
        return super().history_view(
            request, object_id, {**(extra_context or {}), "review_steps": steps}
        )

    # --- the list: the desk's queues as a filter, and its actions

    def get_list_filter(self, request: HttpRequest) -> list:
        return [*super().get_list_filter(request), QueueFilter]

    def has_submit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("claims.change_claim")

    @admin.action(
        description="Submit the selected claims for review", permissions=["submit"]
    )
    def submit(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, services.submit_claim, "Submitted")

    @admin.action(
        description="Assign the selected claims to me", permissions=["submit"]
    )
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet) -> None:
        def to_me(claim: Claim, *, by: Any) -> Claim:
            return services.assign_claim(claim, to=by, by=by)

        self._apply(request, queryset, to_me, "Assigned to you:")

    # --- the claim page

    def review_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/return/",
                view(self.return_view),
                name="claims_claim_return",
            ),
            path(
                "<path:object_id>/publish/",
                view(self.publish_view),
                name="claims_claim_publish",
            ),
            path(
                "<path:object_id>/assign/",
                view(require_POST(self.assign_view)),
                name="claims_claim_assign",
            ),
            path(
                "<path:object_id>/notes/",
                view(require_POST(self.note_view)),
                name="claims_claim_note",
            ),
        ]

    def desk_context(self, request: HttpRequest, object_id: str) -> dict[str, Any]:
        claim = self.get_object(request, object_id)
        if claim is None:
            return {}
        user = request.user
        may_edit = user.has_perm("claims.change_claim")
        return {
            "can_submit": may_edit,
            "can_assign": may_edit,
            "in_review": claim.visibility == Visibility.IN_REVIEW,
            "is_draft": claim.visibility == Visibility.DRAFT,
            "return_url": reverse("admin:claims_claim_return", args=[claim.pk]),
            "publish_url": reverse("admin:claims_claim_publish", args=[claim.pk]),
            "assign_url": reverse("admin:claims_claim_assign", args=[claim.pk]),
            "note_url": reverse("admin:claims_claim_note", args=[claim.pk]),
            "assignee": claim.assignee,
            "assignable": assignable_users() if may_edit else [],
            "notes": claim.notes.select_related("author"),
            "review_steps": claim.review_steps.select_related("by", "note"),
        }

    def _refused(self, request: HttpRequest, claim: Claim, error: Exception) -> None:
        report_refusal(self, request, error, claim)

    def return_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self._claim_or_404(request, object_id)
        if not request.user.has_perm("claims.publish_claim"):
            raise PermissionDenied
        change_url = reverse("admin:claims_claim_change", args=[claim.pk])
        form = ReturnForm(
            request.POST if request.method == "POST" else None,
            initial={"version": claim.version},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.return_claim(
                    claim,
                    by=request.user,
                    note=form.cleaned_data["note"],
                    expected_version=form.cleaned_data["version"],
                )
            except (services.StaleVersion, ValidationError, PermissionDenied) as error:
                add_refusal(form, error, claim)
            else:
                self.message_user(
                    request, f"Returned to draft: “{claim}”.", messages.SUCCESS
                )
                return HttpResponseRedirect(change_url)
        return TemplateResponse(
            request,
            "admin/claims/claim/return.html",
            self._page(request, claim, "Return to draft", form=form),
        )

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """What goes out, for a last look; confirming posts the publish action."""
        claim = self._claim_or_404(request, object_id)
        if not request.user.has_perm("claims.publish_claim"):
            raise PermissionDenied
        last = claim.status_changes.order_by("-changed_at", "-id").first()
        return TemplateResponse(
            request,
            "admin/claims/claim/publish.html",
            self._page(
                request,
                claim,
                "Publish",
                status=badge("status", claim.status, claim.get_status_display()),
                last_change=last,
                public_url=claim.get_absolute_url(),
                visibility_url=reverse(
                    "admin:claims_claim_visibility", args=[claim.pk]
                ),
            ),
        )

    def _page(
        self, request: HttpRequest, claim: Claim, title: str, **extra: Any
    ) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "subtitle": str(claim),
            "original": claim,
            "claim": claim,
            "change_url": reverse("admin:claims_claim_change", args=[claim.pk]),
            **extra,
        }

    def assign_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self._claim_or_404(request, object_id)
        raw = request.POST.get("assignee", "")
        to: Any = None
        if request.POST.get("to_me"):
            to = request.user
        elif raw:
            to = (
                get_user_model()
                .objects.filter(pk=int(raw) if raw.isascii() and raw.isdigit() else 0)
                .first()
            )
        try:
            if raw and to is None:
                raise ValidationError({"assignee": "No such user."})
            services.assign_claim(
                claim, to=to, by=request.user, expected_version=_version(request)
            )
        except (ValidationError, PermissionDenied, services.StaleVersion) as error:
            self._refused(request, claim, error)
        else:
            who = f"to {to}" if to is not None else "to nobody"
            self.message_user(request, f"Assigned {who}.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:claims_claim_change", args=[claim.pk])
        )

    def note_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self._claim_or_404(request, object_id)
        try:
            services.add_note(claim, by=request.user, text=request.POST.get("text", ""))
        except (ValidationError, PermissionDenied) as error:
            self._refused(request, claim, error)
        else:
            self.message_user(request, "Note added.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:claims_claim_change", args=[claim.pk])
        )
