"""Keyset pages and the ordering they are keyed on, for every list of the API.

DRF's settings name these classes by path and load them while DRF itself is
loading, so this module must not import DRF's views (nor the schema tools).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import (
    filters,
    pagination,
)
from rest_framework.exceptions import (
    NotFound,
    ValidationError,
)
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView


class CursorPagination(pagination.CursorPagination):
    """Keyset pages: stable while rows are added, and no ``COUNT(*)``.

    A ``page_size`` out of range and a cursor this API did not write are each
    a 400 naming the parameter, never a page of another size or a 500.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-id",)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not (
            1 <= int(raw) <= self.max_page_size
        ):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)

    def get_ordering(
        self, request: Request, queryset: QuerySet, view: APIView | None
    ) -> tuple[str, ...]:
        self._model = queryset.model
        return super().get_ordering(request, queryset, view)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid_cursor() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        """A position is a value of the ordering's field as this API writes
        it: a moment always with its offset (a naive one would be read in
        the server's zone, and is no cursor of ours)."""
        if "\x00" in position:
            raise self._invalid_cursor()
        name = self.ordering[0].lstrip("-")
        field = next(
            (f for f in self._model._meta.concrete_fields if f.name == name), None
        )
        if field is None:
            # An annotation (a search's rank): its query checks the value.
            return
        try:
            value = field.to_python(position)
        except DjangoValidationError:
            raise self._invalid_cursor() from None
        if isinstance(value, datetime.datetime) and timezone.is_naive(value):
            raise self._invalid_cursor()

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError):
            # A cursor decodes to any text: one that is not a value of the
            # ordering field fails as the page's query is built.
            if not request.query_params.get(self.cursor_query_param):
                raise
            raise self._invalid_cursor() from None

    def _invalid_cursor(self) -> ValidationError:
        return ValidationError(
            {
                self.cursor_query_param: [
                    "Not a cursor of this list: use the next or previous link "
                    "of a page as it is."
                ]
            }
        )

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class OrderingFilter(filters.OrderingFilter):
    """``?ordering=`` over a view's ``ordering_fields``; an unknown one is a 400.

    Cursor pagination keys pages on the first field, so views offer only
    fields that are never null.
    """

    def remove_invalid_fields(
        self, queryset: QuerySet, fields: list[str], view: APIView, request: Request
    ) -> list[str]:
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields) or len(fields) > 1:
            allowed = ", ".join(
                f"{name}, -{name}"
                for name, _ in self.get_valid_fields(
                    queryset, view, {"request": request}
                )
            )
            raise ValidationError({self.ordering_param: [f"Use one of: {allowed}."]})
        return valid

    def get_ordering(
        self, request: Request, queryset: QuerySet, view: APIView
    ) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        explicit = request.query_params.get(self.ordering_param)
        if not explicit and "search_rank" in queryset.query.annotations:
            return ["search_rank"]
        # Rows that tie on the first field keep one order from page to page.
        if ordering and ordering[0].lstrip("-") not in {"id", "pk"}:
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return ordering
