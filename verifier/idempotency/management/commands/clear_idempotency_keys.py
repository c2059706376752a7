from typing import Any

from django.core.management.base import BaseCommand

from verifier.idempotency.models import IdempotencyKey


class Command(BaseCommand):
    help = (
        "Delete stored Idempotency-Key answers older than IDEMPOTENCY_KEY_TTL_HOURS. "
        "Run it daily (cron); expired keys are also replaced when reused."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted, _ = IdempotencyKey.objects.expired().delete()
        self.stdout.write(f"Deleted {deleted} expired idempotency keys.")
