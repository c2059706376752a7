"""Write the whole dataset, with its audit history, as JSON Lines."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from claims.dataset import Progress, export_lines


class Command(BaseCommand):
    help = (
        "Write every source, document, place, event, claim and part, the verdict "
        "timelines, the audit history, users and role groups as JSON Lines "
        "(one object per line), to FILE or standard output. Password hashes "
        "only with --with-passwords. The same data always gives the same bytes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-o", "--output", help="Write here instead of standard output."
        )
        parser.add_argument(
            "--with-passwords",
            action="store_true",
            help="Include users' password hashes (keep the file secret).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        progress = None if options["no_progress"] else Progress(self.stderr._out)
        # One snapshot: rows written while the export runs are all in or out.
        nested = connection.in_atomic_block
        with transaction.atomic():
            if connection.vendor == "postgresql" and not nested:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"
                    )
            lines = export_lines(
                with_passwords=options["with_passwords"], progress=progress
            )
            if options["output"]:
                with Path(options["output"]).open("w", encoding="utf-8") as out:
                    for line in lines:
                        out.write(line + "\n")
            else:
                for line in lines:
                    self.stdout.write(line)
