"""Indexes for the API's full-text and trigram search, on PostgreSQL only.

The SQLite quickstart has neither pg_trgm nor tsvector; its search falls back
to substrings, so there this migration does nothing.
"""

from django.db import migrations

INDEXES = {
    "claim_text_fts": "claims_claim USING gin (to_tsvector('simple', text))",
    "claim_text_trgm": "claims_claim USING gin (text gin_trgm_ops)",
    "statement_words_fts": (
        "claims_statement USING gin "
        "(to_tsvector('simple', quote || ' ' || translation))"
    ),
    "statement_words_trgm": (
        "claims_statement USING gin ((quote || ' ' || translation) gin_trgm_ops)"
    ),
    "place_names_trgm": (
        "claims_place USING gin ((name || ' ' || alternate_names::text) gin_trgm_ops)"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0002_roles"),
        ("sources", "0002_search_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
