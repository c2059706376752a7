"""What the claim page shows of a claim, as of now or of a past day
(``Claim.snapshot``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .choices import Status
    from .models import Evidence, Statement, StatusChange


@dataclass
class Snapshot:
    """The claim page's content, as of now or of the end of a past day."""

    status: Status
    changes: list[StatusChange]
    asserts: list[Statement]
    denies: list[Statement]
    evidence: list[Evidence]

    @property
    def latest(self) -> StatusChange | None:
        """The change that gave the current verdict."""
        verdicts = [change for change in self.changes if not change.corrects_text]
        return verdicts[-1] if verdicts else None

    @property
    def corrections(self) -> list[StatusChange]:
        return [change for change in self.changes if change.is_correction]
