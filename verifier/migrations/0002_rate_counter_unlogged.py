"""Throttle counters need no crash safety: on PostgreSQL their table is
UNLOGGED, so the upsert each API request makes writes no WAL and its commit
waits for no disk flush. A crash empties the table, which only forgives the
counts of the current minute."""

from django.db import migrations


def _set(logged: bool):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        state = "LOGGED" if logged else "UNLOGGED"
        schema_editor.execute(f"ALTER TABLE verifier_ratecounter SET {state}")

    return run


class Migration(migrations.Migration):
    dependencies = [("verifier", "0001_rate_counter")]

    operations = [migrations.RunPython(_set(logged=False), _set(logged=True))]
