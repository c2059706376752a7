"""Load a dataset written by ``export_data`` into an empty database."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.base import DeserializationError
from django.db import transaction

from claims.dataset import Progress, has_data, import_lines, reset_sequences


class Command(BaseCommand):
    help = (
        "Load a JSON Lines export (FILE, or - for standard input) in one "
        "transaction: all of it or nothing. The database must be empty (migrated, "
        "no claims, sources or users) unless --allow-non-empty, with which rows "
        "with the same ids are overwritten. Users come without a usable password "
        "unless the export has them: set one with `manage.py changepassword`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The export, or - for standard input.")
        parser.add_argument(
            "--allow-non-empty",
            action="store_true",
            help="Import into a database that already has data.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar."
        )

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        progress = None if options["no_progress"] else Progress(self.stderr._out)
        with transaction.atomic():
            filled = has_data()
            if filled and not options["allow_non_empty"]:
                raise CommandError(
                    "The database already has data ("
                    + ", ".join(filled)
                    + "). Import into an empty one, or pass --allow-non-empty."
                )
            try:
                if file == "-":
                    count = import_lines(sys.stdin, progress=progress)
                else:
                    with Path(file).open(encoding="utf-8") as lines:
                        count = import_lines(lines, progress=progress)
            except (ValueError, DeserializationError) as error:
                raise CommandError(str(error)) from None
            reset_sequences()
        self.stdout.write(f"Imported {count} objects.")
