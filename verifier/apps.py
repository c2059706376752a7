from django.apps import AppConfig


class VerifierConfig(AppConfig):
    """The project itself, as an app only for what every app shares: the rate
    limit counters."""

    name = "verifier"
    verbose_name = "Verifier"
