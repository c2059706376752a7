"""Give the demo accounts fresh random passwords and print them.

There is no fixed password anywhere: every run sets new ones, so a demo left
running on a shared machine cannot be entered with a password from the README.
"""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser

from .load_demo import EDITOR, REVIEWER

ACCOUNTS = [
    ("admin", None, "superuser: everything"),
    (EDITOR, "Editors", "editor: enters claims, statements, evidence"),
    (REVIEWER, "Reviewers", "reviewer: publishes, sets final verdicts"),
]


class Command(BaseCommand):
    help = "Create or reset the demo accounts with new random passwords."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/admin/",
            help="Where the admin is served, for the sign-in hint.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        self.stdout.write(f"Sign in at {options['url']} with:")
        for username, group, role in ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_active = True
            user.is_superuser = group is None
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
            self.stdout.write(f"  {username:<14} {password:<18} {role}")
