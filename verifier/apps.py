from django.apps import AppConfig
from django.db.backends.signals import connection_created


class VerifierConfig(AppConfig):
    """The project itself, as an app only for what every app shares: the rate
    limit counters, and SQLite comparing text as PostgreSQL does."""

    name = "verifier"
    verbose_name = "Verifier"

    def ready(self) -> None:
        from verifier.sqlite import unicode_like

        connection_created.connect(unicode_like, dispatch_uid="verifier-sqlite-like")
