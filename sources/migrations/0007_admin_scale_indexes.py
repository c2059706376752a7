"""Indexes for the document list at archive scale: the API's order (newest
first), the admin's search by SHA-256, and a trigram index over titles for the
admin's search (PostgreSQL only; the SQLite quickstart skips it)."""

from django.db import migrations, models


def create_title_trigrams(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS document_title_trgm ON sources_document "
        "USING gin (title gin_trgm_ops)"
    )


def drop_title_trigrams(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS document_title_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0006_reference_data"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["-created_at", "-id"], name="document_created"),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                condition=models.Q(("content_sha256", ""), _negated=True),
                fields=["content_sha256"],
                name="document_sha256",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.RunPython(
            create_title_trigrams, drop_title_trigrams, elidable=False
        ),
    ]
