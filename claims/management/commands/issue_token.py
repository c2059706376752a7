"""Issue an API token for a user, e.g. for a bot that cannot sign in itself."""

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from knox.models import AuthToken
from knox.settings import knox_settings


class Command(BaseCommand):
    help = (
        "Issue an API token for USERNAME and print it once. It is stored hashed: "
        "it cannot be shown again, only revoked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days until the token expires (default: API_TOKEN_TTL_DAYS).",
        )

    def handle(
        self, *args: Any, username: str, days: int | None, **options: Any
    ) -> None:
        try:
            user = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No active user {username!r}.") from None
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        ttl = datetime.timedelta(days=days) if days else knox_settings.TOKEN_TTL
        instance, token = AuthToken.objects.create(
            user=user, expiry=ttl, prefix=knox_settings.TOKEN_PREFIX
        )
        self.stderr.write(
            f"Token for {username}, valid until {instance.expiry:%Y-%m-%d %H:%M} UTC:"
        )
        self.stdout.write(token)
