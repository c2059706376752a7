"""A trigram index over source names and aliases, on PostgreSQL only, so that
a search for "Zelenskyy" finds Zelensky. The SQLite quickstart skips it."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS source_names_trgm ON sources_source "
        "USING gin ((name || ' ' || aliases::text) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS source_names_trgm")


class Migration(migrations.Migration):
    dependencies = [("sources", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
