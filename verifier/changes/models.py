from django.conf import settings
from django.db import models
from django.utils import timezone

# Every type of entry, with what it says; ``?types=`` takes these names.
# A claim's entries are one per version of the claim (its assignment too);
# the reference objects' are one per saved change.
CLAIM_TYPES = {
    "claim.created": "A draft claim was written.",
    "claim.updated": "Its wording, event, places, statements, evidence or "
    "links changed (a linked claim's publication shows on it too).",
    "claim.status_changed": "Its verdict changed.",
    "claim.submitted": "A draft was put in front of the reviewers.",
    "claim.returned": "A claim in review went back to draft.",
    "claim.published": "It was published.",
    "claim.unpublished": "It was taken off the public pages, back to draft.",
    "claim.deleted": "It was deleted.",
    "claim.assigned": "Someone on the desk has it in hand now: a new version "
    "(read as claim.updated by those who see only published claims).",
}
REFERENCE_KINDS = ("source", "document", "event", "place")
REFERENCE_TYPES = {
    f"{kind}.{what}": f"A {kind} was {what}."
    for kind in REFERENCE_KINDS
    for what in ("created", "updated", "deleted")
}
# What a reader who sees only published claims reads for a published claim's
# unpublication or deletion: its id and slug, nothing more.
REMOVED = "claim.removed"
# The types such a reader reads as another (the rest as they are): a claim
# leaving the public pages as a tombstone; the desk's assignment of a
# published claim as the new version it is, saying nothing of the desk.
AS_PUBLIC = {
    "claim.unpublished": REMOVED,
    "claim.deleted": REMOVED,
    "claim.assigned": "claim.updated",
}
TYPES = {
    **CLAIM_TYPES,
    REMOVED: "A published claim left the public pages (unpublished or "
    "deleted): its id and slug only. Only readers who see only published "
    "claims get it, in place of the real type.",
    **REFERENCE_TYPES,
}


class Change(models.Model):
    """One change of one object, in the order the changes committed.

    ``type`` is ``<object>.<what>``: ``claim.updated``, ``source.created`` …
    ``public`` says whether a reader who sees only what is published may see
    the entry; a published claim leaving the public pages is kept public, so
    that such readers learn of it (as a ``claim.removed`` tombstone).
    """

    at = models.DateTimeField(default=timezone.now, editable=False)
    type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    slug = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    public = models.BooleanField()
    # Who made the change, as the audit history names its authors: without a
    # database constraint, so that the log never stands in the way of a
    # change (a dataset import replacing the users, say).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["public", "id"], name="change_public_id"),
            # ``?types=``: the entries of a few types, in order.
            models.Index(fields=["type", "id"], name="change_type_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} {self.slug or self.object_id}"
