"""The app with its page cache turned off: what a page costs to render.

``run.py`` starts a second server of the app with these settings, so the
benchmark shows the rendered page beside the cached one.
"""

from verifier.settings import *  # noqa: F403
from verifier.settings import CACHES

CACHES = {
    **CACHES,
    "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
