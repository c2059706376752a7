from django.db import models


class RateCounter(models.Model):
    """Requests of one client in one throttle window, counted by the database
    so that every server process sees the same number (see
    ``verifier.throttling``)."""

    key = models.CharField(max_length=250)
    window = models.BigIntegerField(help_text="Start of the window, Unix seconds.")
    hits = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(help_text="Unix seconds; then it is dropped.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window"], name="ratecounter_one_row_per_window"
            )
        ]
        indexes = [models.Index(fields=["expires"], name="ratecounter_expires")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.hits}"
