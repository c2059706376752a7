"""Slugs: the readable half of every address that has one.

An object is found by its id or its slug (``/claims/10/``, ``/claims/<slug>/``),
so a slug is never all digits: it would read as an id.
"""

from __future__ import annotations

from functools import cache

from django.core.exceptions import ValidationError
from django.db.models import Model, Q
from django.utils.text import slugify

SLUG_MAX_WORDS = 12

# For CheckConstraint(condition=SLUG_NOT_ALL_DIGITS, …) on every slugged model.
SLUG_NOT_ALL_DIGITS = ~Q(slug__regex=r"^[0-9]+$")


def validate_slug_not_all_digits(value: str) -> None:
    if value.isascii() and value.isdigit():
        raise ValidationError(
            "A slug cannot be only digits: it would read as an id. Add a word.",
            code="all_digits",
        )


@cache
def collection_routes(model: type[Model]) -> frozenset[str]:
    """The API's addresses beside the items of ``model``'s collection
    (``/api/v1/claims/export/``), read off the router: an item with such a
    slug could never be reached at its own address."""
    from verifier.api import router

    for _, viewset, basename in router.registry:
        if basename == model._meta.model_name:
            return frozenset(
                action.url_path
                for action in viewset.get_extra_actions()
                if not action.detail
            )
    return frozenset()


def validate_slug_not_a_route(value: str, model: type[Model]) -> None:
    if value in collection_routes(model):
        raise ValidationError(
            f"“{value}” names an address of the API beside the "
            f"{model._meta.verbose_name_plural} (/{value}/). Choose another slug.",
            code="reserved",
        )


def unique_slug(text: str, *, model: type[Model], max_length: int = 80) -> str:
    """A readable slug from ``text``, whole words only, numbered when taken."""
    base = ""
    for word in slugify(text).split("-")[:SLUG_MAX_WORDS]:
        if len(base) + len(word) + 1 > max_length - 4:  # room for "-999"
            break
        base = f"{base}-{word}" if base else word
    name = model._meta.model_name
    if not base:
        base = name
    elif base.isdigit():
        base = f"{name}-{base}"
    taken = collection_routes(model)
    slug, n = base, 2
    while slug in taken or model._default_manager.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def prefix_all_digit_slugs(model: type[Model]) -> None:
    """For migrations: give each all-digit slug of ``model`` its model's name
    as a first word (``2025`` → ``event-2025``)."""
    name = model._meta.model_name
    for row in model._default_manager.filter(slug__regex=r"^[0-9]+$"):
        base = slug = f"{name}-{row.slug}"
        n = 2
        while model._default_manager.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        model._default_manager.filter(pk=row.pk).update(slug=slug)
