"""What a delivery carries: the change, and the public representation of the
object it is about, as the API gives it to an anonymous reader."""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.module_loading import import_string

from verifier.changes.models import Change


def kind_of(change: Change) -> str:
    """``claim`` for ``claim.updated``."""
    return change.type.split(".", 1)[0]


def representation(change: Change) -> Any:
    """The object as an anonymous reader of the API sees it now, or None if
    such a reader may not see it (a claim unpublished or deleted) or it has
    no public representation."""
    path = settings.WEBHOOK_REPRESENTATIONS.get(kind_of(change))
    if path is None:
        return None
    found = import_string(path)(change.object_id, AnonymousUser())
    return found[1] if found else None


def body(change: Change) -> str:
    """The JSON body of every delivery of ``change``, in the Standard
    Webhooks shape (``type``, ``timestamp``, ``data``)."""
    return orjson.dumps(
        {
            "type": change.type,
            "timestamp": change.at,
            "data": {
                "change": change.pk,
                "object_id": change.object_id,
                "slug": change.slug,
                "version": change.version,
                kind_of(change): representation(change),
            },
        }
    ).decode()


def _values(shown: dict, path: tuple[str, ...]) -> set[Any]:
    """The values at ``path`` in ``shown``, through lists."""
    found: list[Any] = [shown]
    for key in path:
        found = [
            value.get(key)
            for item in found
            for value in (item if isinstance(item, list) else [item])
            if isinstance(value, dict)
        ]
    flat: set[Any] = set()
    for value in found:
        flat.update(value if isinstance(value, list) else [value])
    flat.discard(None)
    return flat


# Each filter of an endpoint, and where its values are in a claim's JSON.
FILTERS: dict[str, tuple[str, ...]] = {
    "events": ("event", "slug"),
    "sources": ("statements", "source", "slug"),
    "statuses": ("status",),
}


def passes_filters(filters: dict[str, list[str]], change: Change, text: str) -> bool:
    """Whether the object in the body ``text`` matches every non-empty filter
    (any of its values). A change whose object has no public representation
    (a claim removed from the public pages) passes: its receivers learn of
    it whatever they filter on."""
    wanted = {name: values for name, values in filters.items() if values}
    if not wanted:
        return True
    shown = orjson.loads(text)["data"].get(kind_of(change))
    if not isinstance(shown, dict):
        return True
    return all(
        _values(shown, FILTERS[name]) & set(values) for name, values in wanted.items()
    )
