"""The editors' desk. Every write goes through ``claims.services``.

Claim edits carry the version the page was loaded with, so a save on a stale
page is refused with what changed in between; inlines save through
``services.save_part`` / ``services.remove_part``; verdicts change through a
small form calling ``services.change_status``. A rule the services refuse is
shown on the form the editor submitted, never as a server error.
"""

from django.contrib import admin

from . import claim, events, parts, places, sources  # noqa: F401

# The index opens with the desk's queues (claims.queues).
admin.site.index_template = "admin/claims/index.html"
