"""Source aliases stored as written, not as \\u escapes, so that SQLite's
substring search finds a Cyrillic alias. PostgreSQL's jsonb never held
escapes: there the rewrite is skipped."""

import sources.models
import verifier.encoders
from django.db import migrations, models


def unescape(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        return
    for name, field in [("Source", "aliases"), ("HistoricalSource", "aliases")]:
        model = apps.get_model("sources", name)
        # Saved again through the field's new encoder.
        rows = list(model._base_manager.only(model._meta.pk.name, field))
        model._base_manager.bulk_update(rows, [field], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('sources', '0002_search_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalsource',
            name='aliases',
            field=models.JSONField(blank=True, default=list, encoder=verifier.encoders.UnicodeJSONEncoder, help_text='Other spellings, in any language and script: Zelenskyy, Зеленський.', validators=[sources.models.validate_string_list]),
        ),
        migrations.AlterField(
            model_name='source',
            name='aliases',
            field=models.JSONField(blank=True, default=list, encoder=verifier.encoders.UnicodeJSONEncoder, help_text='Other spellings, in any language and script: Zelenskyy, Зеленський.', validators=[sources.models.validate_string_list]),
        ),
        migrations.RunPython(unescape, migrations.RunPython.noop),
    ]
