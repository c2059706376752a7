"""The query parameters of ``/api/v1/``: which ones each operation takes,
and filters that take several values. What an operation takes is what its
schema documents: the list's filters, ordering and page, an action's own
parameters, and ``format``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.utils.datastructures import MultiValueDict
from django_filters.widgets import BaseCSVWidget
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.settings import api_settings

if TYPE_CHECKING:
    from rest_framework.views import APIView


class RepeatableCSVWidget(BaseCSVWidget, forms.TextInput):
    """Values given repeated (``?status=a&status=b``, as clients generated
    from the schema send an array), comma-separated (``?status=a,b``), or
    both: one list."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str] | None:
        if not isinstance(data, MultiValueDict) or name not in data:
            return super().value_from_datadict(data, files, name)
        return [
            item for value in data.getlist(name) if value for item in value.split(",")
        ]


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """One or more choices, repeated or comma-separated: ``?status=disputed,false``
    and ``?status=disputed&status=false`` are the same."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", RepeatableCSVWidget)
        kwargs.setdefault("help_text", "One or more: repeated, or separated by commas.")
        super().__init__(*args, **kwargs)


def query_parameters(view: APIView, method: str) -> tuple[set[str], set[str]]:
    """The query parameters ``view`` takes for ``method`` on its action, as the
    schema documents them, and those of them that may be repeated.

    Lists take their filters, ordering and pages; a collection action
    (``detail=False``, e.g. the export) its filters; every action the ones it
    names in ``action_query_parameters``; and every request ``format``.
    """
    action = getattr(view, "action", None)
    key = (type(view), action, method)
    known = _QUERY_PARAMETERS.get(key)
    if known is not None:
        return known
    names = {api_settings.URL_FORMAT_OVERRIDE} - {None}
    repeatable: set[str] = set()
    if method in {"GET", "HEAD"} and getattr(view, "detail", None) is False:
        for backend in view.filter_backends:
            if not hasattr(backend, "get_filterset_class"):
                names.update(
                    p["name"] for p in backend().get_schema_operation_parameters(view)
                )
                continue
            filterset_class = backend().get_filterset_class(view)
            filters = filterset_class.base_filters if filterset_class else {}
            for name, found in filters.items():
                names.add(name)
                if isinstance(found, django_filters.BaseCSVFilter):
                    repeatable.add(name)
        if action == "list" and view.paginator is not None:
            names.update(
                p["name"] for p in view.paginator.get_schema_operation_parameters(view)
            )
    names.update(
        p.name for p in getattr(view, "action_query_parameters", {}).get(action, ())
    )
    _QUERY_PARAMETERS[key] = names, repeatable
    return names, repeatable


_QUERY_PARAMETERS: dict[tuple, tuple[set[str], set[str]]] = {}


class QueryParametersMixin:
    """A request names only query parameters its operation documents, each
    once unless it takes several values: anything else is a 400 naming the
    parameter, never an answer to a question the client did not ask."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        given = request.query_params
        if not given:
            return
        names, repeatable = query_parameters(self, request.method)
        errors: dict[str, list[str]] = {}
        for name in given:
            if name not in names:
                takes = ", ".join(sorted(names))
                errors[name] = [f"Unknown parameter: this endpoint takes {takes}."]
            elif name not in repeatable and len(given.getlist(name)) > 1:
                errors[name] = ["Give this parameter once."]
        if errors:
            raise ValidationError(errors)
