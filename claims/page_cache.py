"""The public pages' conditional GET and page cache.

Every public page answers conditional requests (``ETag``, ``304``) and says
how long it may be cached; a page rendered for an anonymous reader is kept,
under its validator, for the next one (``public_page``). A page's validator
changes exactly when what it shows does: a claim page's when that claim, its
parts, a claim it links with or the reference data change, the lists' when
anything a public list shows changes (``claims.page_versions``). Pages carry
no ``Last-Modified``: the counters say that something changed, not when, and
the entity tag is the validator.

A page made for one signed-in reader alone (a draft's preview, ``private_page``)
is never stored, never validated against and never indexed.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition, require_safe

from .models import sees_exact_coordinates
from .page_versions import lists_version

CACHE_SECONDS = 60
# A page larger than this is rendered each time rather than crowd the cache.
MAX_CACHED_PAGE = 512 * 1024

ROOT = Path(__file__).resolve().parent.parent

# What a page's validator is read from: the view's arguments.
Validator = Callable[..., str]


def lists(*args: Any, **kwargs: Any) -> str:
    """The validator of a page listing claims or reference data."""
    return lists_version()


@functools.cache
def release() -> str:
    """What, besides the data, shapes a page: templates, stylesheets, publisher."""
    digest = hashlib.sha256()
    for folder in (
        ROOT / "claims" / "templates",
        ROOT / "claims" / "static",
        ROOT / "verifier" / "templates",
        ROOT / "verifier" / "static",
    ):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    digest.update(f"{settings.PUBLISHER_NAME}|{settings.PUBLISHER_URL}".encode())
    return digest.hexdigest()


def version(request: HttpRequest) -> str:
    """The page's validator, read once per request (the view's decorator
    names how: ``public_page(validator=...)``)."""
    if not hasattr(request, "_page_version"):
        args, kwargs = request._page_arguments
        request._page_version = request._page_validator(*args, **kwargs)
    return request._page_version


def _etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    parts = [
        release(),
        request.get_full_path(),
        version(request),
        str(
            getattr(request, "_varies_on_staff", False)
            and sees_exact_coordinates(request.user)
        ),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def private_page(response: HttpResponse) -> HttpResponse:
    """Mark ``response`` as made for the signed-in reader alone: no cache keeps
    it (``_cached`` and the browser's), no entity tag validates it, no robot
    indexes it."""
    response.private_page = True  # type: ignore[attr-defined]
    return response


def is_private_page(response: HttpResponse) -> bool:
    return getattr(response, "private_page", False)


def _cacheable(request: HttpRequest) -> bool:
    """A reader with no session cookie: anonymous, and sent no cookie of ours.

    Signed-in readers (and anyone else holding a session) always get a page
    rendered for them, so no page made for one person reaches another.
    """
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


def page_key(request: HttpRequest) -> str:
    """Where the page for ``request`` is cached: its validator (templates, the
    counters of what it shows, the path with its query, staff or not), and
    what else the page shows: the address it is served at (canonical links, ClaimReview
    URLs) and today's date (the latest day ``as_of`` may take)."""
    parts = [
        _etag(request),
        request.build_absolute_uri(),
        timezone.now().date().isoformat(),
    ]
    return "page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def _cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve anonymous readers the page as rendered for the last one, as long
    as nothing it shows has changed since: the key holds the page's validator,
    so a change makes the earlier pages it alters unreachable at once.

    The validator is read before the page's data, so a page is kept under a
    validator older than what it shows at worst, never a newer one.

    Only 200s are stored, never one that sets a cookie or is made for one
    reader (``private_page``), and never for a reader with a session
    (``_cacheable``).
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        pages = caches["pages"]
        key = page_key(request)
        hit = pages.get(key)
        if hit is not None:
            status, headers, content = hit
            return HttpResponse(content, status=status, headers=headers)
        response = view(request, *args, **kwargs)
        if isinstance(response, SimpleTemplateResponse):  # the sitemap's
            response.render()
        if (
            response.status_code == 200
            and not is_private_page(response)
            and not response.streaming
            and not response.cookies
            # The page set a CSRF token or wrote the session: it is someone's own.
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not getattr(getattr(request, "session", None), "modified", False)
            and len(response.content) <= MAX_CACHED_PAGE
        ):
            pages.set(
                key,
                (200, dict(response.headers), response.content),
                timeout=CACHE_SECONDS,
            )
        return response

    return wrapped


def public_page(
    view: Callable[..., HttpResponse] | None = None,
    *,
    varies_on_staff: bool = False,
    validator: Validator = lists,
) -> Any:
    """Serve ``view`` to the public: GET/HEAD only, 304s, cache headers, and
    pages rendered once for every anonymous reader (``_cached``).

    ``validator``, given the view's arguments, reads what the page's
    validator is made of (``claims.page_versions``): the lists' by default.
    A page that shows staff more (exact coordinates) is private for them.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        conditional = condition(etag_func=_etag)(_cached(view))

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request._varies_on_staff = varies_on_staff
            request._page_validator = validator
            request._page_arguments = (args, kwargs)
            response = conditional(request, *args, **kwargs)
            # The feeds and the sitemap date their newest item; the entity
            # tag is the one validator of every public page.
            del response["Last-Modified"]
            if is_private_page(response):
                del response["ETag"]
                patch_cache_control(response, private=True, no_store=True)
                response["X-Robots-Tag"] = "noindex"
                return response
            if response.status_code not in (200, 304):
                # Errors are not validated against: they may be fixed any time.
                del response["ETag"]
                patch_cache_control(response, no_cache=True)
                return response
            if varies_on_staff and sees_exact_coordinates(request.user):
                patch_cache_control(response, private=True, max_age=0)
            else:
                patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
            return response

        return require_safe(wrapped)

    return decorate(view) if view is not None else decorate
