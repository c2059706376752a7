"""The one door for every change of a claim's state.

The admin, the API and management commands call these functions, so the
verification rules hold the same everywhere. Each function runs in one
transaction, locks the claim row it changes, checks the caller's version when
one is given, records the acting user in the audit history, bumps the
claim's version and writes the change log's entry for that version
(``verifier.changes``; its types: ``verifier.changes.models.CLAIM_TYPES``).
A broken rule raises and writes nothing:

- ``ValidationError`` (a dict keyed by field) for bad input or a broken rule,
- ``PermissionDenied`` when the acting user's role does not allow the change,
- ``StaleVersion`` when the caller's copy of the claim is out of date.
"""

from .base import StaleVersion
from .claim import change_status, create_claim, delete_claim, update_claim
from .parts import (
    add_evidence,
    attribute_statement,
    link_claims,
    remove_part,
    save_part,
)
from .review import (
    add_note,
    assign_claim,
    may_be_assigned,
    publish_claim,
    return_claim,
    submit_claim,
    unpublish_claim,
)

__all__ = [
    "StaleVersion",
    "add_evidence",
    "add_note",
    "assign_claim",
    "attribute_statement",
    "change_status",
    "create_claim",
    "delete_claim",
    "link_claims",
    "may_be_assigned",
    "publish_claim",
    "remove_part",
    "return_claim",
    "save_part",
    "submit_claim",
    "unpublish_claim",
    "update_claim",
]
