"""Webhooks: endpoints, their deliveries, and the task that makes them."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "verifier.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from verifier.changes.log import change_recorded

        from .enqueue import on_change

        change_recorded.connect(on_change, dispatch_uid="webhooks.on_change")
