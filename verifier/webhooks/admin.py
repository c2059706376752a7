"""The webhooks in the admin: endpoints (the secret shown once, on
creation), and the delivery log with "send again"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from verifier.admin import URL_FIELDS

from .models import Attempt, Delivery, Endpoint
from .tasks import send_again


class SuperuserOnly:
    """Webhooks send the site's changes elsewhere: superusers only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)


@admin.register(Endpoint)
class EndpointAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["url", "description", "enabled", "status", "failure_streak"]
    formfield_overrides = URL_FIELDS
    list_filter = ["enabled"]
    readonly_fields = [
        "disabled_reason",
        "failure_streak",
        "failing_since",
        "created_at",
        "delivery_log",
    ]
    fields = [
        "url",
        "description",
        "types",
        "events",
        "sources",
        "statuses",
        "enabled",
        *readonly_fields,
    ]

    @admin.display(description="Status")
    def status(self, endpoint: Endpoint) -> str:
        if not endpoint.enabled:
            return endpoint.disabled_reason or "Disabled"
        if endpoint.failure_streak:
            return f"Failing ({endpoint.failure_streak} attempts in a row)"
        return "OK"

    @admin.display(description="Deliveries")
    def delivery_log(self, endpoint: Endpoint) -> str:
        if endpoint.pk is None:
            return "-"
        return format_html(
            '<a href="../../../delivery/?endpoint__id__exact={}">The delivery log</a>',
            endpoint.pk,
        )

    def save_model(
        self, request: HttpRequest, obj: Endpoint, form: Any, change: bool
    ) -> None:
        if change and "enabled" in form.changed_data and obj.enabled:
            obj.disabled_reason, obj.failure_streak, obj.failing_since = "", 0, None
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(
                request,
                f"The signing secret of {obj.url} is {obj.secret} — copy it now: "
                "it will not be shown again.",
            )


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["number", "at", "status_code", "error", "duration_ms", "response_excerpt"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = [
        "webhook_id",
        "change_type",
        "endpoint",
        "state",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["state", "endpoint"]
    list_select_related = ["endpoint", "change"]
    search_fields = ["=webhook_id"]
    readonly_fields = [
        "endpoint",
        "change",
        "webhook_id",
        "state",
        "attempts",
        "created_at",
        "retry_until",
        "next_attempt_at",
        "delivered_at",
        "last_error",
        "body",
    ]
    inlines = [AttemptInline]
    actions = ["send_again_action"]

    @admin.display(description="Type", ordering="change__type")
    def change_type(self, delivery: Delivery) -> str:
        return delivery.change.type

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Read-only, but "send again" is a change.
        return self.has_module_permission(request)

    @admin.action(description="Send again")
    def send_again_action(
        self, request: HttpRequest, queryset: QuerySet[Delivery]
    ) -> HttpResponse | None:
        disabled = queryset.filter(endpoint__enabled=False).count()
        if disabled:
            self.message_user(
                request,
                f"{disabled} of these go to a disabled endpoint: enable it first.",
                messages.ERROR,
            )
            return None
        count = send_again(queryset)
        self.message_user(request, f"{count} deliveries will be sent again now.")
        return None
