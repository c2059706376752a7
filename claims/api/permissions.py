"""Who may write what, and the preconditions every write to a claim carries.

Roles come from model permissions (``verifier.rest.RolePermission``); the
actions below name theirs. Rules that depend on the data, such as who may set
a final verdict, stay in ``claims.services``.

A write to an existing claim, or to one of its statements, pieces of
evidence or links, must send the claim's ETag in ``If-Match``: without it the
answer is 428, with an outdated one 412, and nothing is written. The version
in the tag is handed to the service, which compares it under the row lock.
The tags and their checks are ``verifier.conditional``'s, which every
editable resource shares.
"""

from __future__ import annotations

ACTION_PERMISSIONS = {
    "status": ["claims.change_claim_status"],
    "submit": ["claims.change_claim"],
    "return_to_draft": ["claims.publish_claim"],
    "publish": ["claims.publish_claim"],
    "unpublish": ["claims.publish_claim"],
    "assign": ["claims.change_claim"],
    # Reading notes is for staff (the view checks it after finding the claim,
    # so a draft stays a 404); adding one is for editors and up.
    "notes": ["claims.change_claim"],
}
