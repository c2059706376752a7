from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "verifier.changes"
    label = "changes"
    verbose_name = "Change log"
    default_auto_field = "django.db.models.BigAutoField"
