from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims"

    def ready(self) -> None:
        # Counting changes for the public pages' validators hooks into saves.
        from . import page_versions  # noqa: F401
