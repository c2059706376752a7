"""Alternate place names stored as written, not as \\u escapes, so that SQLite's
substring search finds a Cyrillic name. PostgreSQL's jsonb never held
escapes: there the rewrite is skipped."""

import sources.models
import verifier.encoders
from django.db import migrations, models


def unescape(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        return
    for name, field in [("Place", "alternate_names"), ("HistoricalPlace", "alternate_names")]:
        model = apps.get_model("claims", name)
        # Saved again through the field's new encoder.
        rows = list(model._base_manager.only(model._meta.pk.name, field))
        model._base_manager.bulk_update(rows, [field], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0004_search_document'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalplace',
            name='alternate_names',
            field=models.JSONField(blank=True, default=list, encoder=verifier.encoders.UnicodeJSONEncoder, help_text='Other names and transliterations: Demydivka, Демидовка.', validators=[sources.models.validate_string_list]),
        ),
        migrations.AlterField(
            model_name='place',
            name='alternate_names',
            field=models.JSONField(blank=True, default=list, encoder=verifier.encoders.UnicodeJSONEncoder, help_text='Other names and transliterations: Demydivka, Демидовка.', validators=[sources.models.validate_string_list]),
        ),
        migrations.RunPython(unescape, migrations.RunPython.noop),
    ]
