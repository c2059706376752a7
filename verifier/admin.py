"""Admin bases every app's admin shares: autocomplete widgets that survive
any input, read-only audit history, and reference data only reviewers mark
public."""

from collections.abc import Sequence
from typing import Any

from django.contrib.admin.utils import label_for_field
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from verifier.history import words_for
from verifier.models import MAX_ID

# Pasted addresses without a scheme are taken as https, as browsers do.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class _ValidIdsOnly:
    """Django's autocomplete widgets look up the submitted ids again to show
    them: an id that is not a number ("abc", "-1") made that a 500 where the
    form should only say the choice is invalid."""

    def optgroups(self, name: str, value: list[Any], attr: Any = None) -> list:
        value = [
            item
            for item in value
            if str(item).isascii() and str(item).isdigit() and 0 < int(item) <= MAX_ID
        ]
        return super().optgroups(name, value, attr)


class SafeAutocompleteSelect(_ValidIdsOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ValidIdsOnly, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteMixin:
    """Autocomplete fields (``autocomplete_fields``) that survive any input."""

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(
            request
        ):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(
            request
        ):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class HistoryAdmin(SafeAutocompleteMixin, SimpleHistoryAdmin):
    """Audit history with what each version changed in words, by whom and
    when (``verifier.history``); past versions are read-only.

    Reverting would write an old version past the rules of the domain layer,
    so it is disabled (``SIMPLE_HISTORY_REVERT_DISABLED``) and refused here.
    """

    object_history_list_template = "admin/history_list.html"

    def history_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        headers = [
            label_for_field(name, self.model, self)
            for name in self.get_history_list_display(request)
        ]
        return super().history_view(
            request, object_id, {"history_headers": headers, **(extra_context or {})}
        )

    def set_history_delta_changes(
        self,
        request: HttpRequest,
        historical_records: Sequence[Any],
        foreign_keys_are_objs: bool = True,
    ) -> None:
        """Word each record of the page (newest first) as
        ``record.history_words``; a record told with another (the halves of
        one save) or that changed nothing told is ``history_hidden``."""
        records = list(historical_records)
        if not records:
            return
        oldest = records[-1]
        pk_name = self.model._meta.pk.attname
        before = (
            type(oldest)
            .objects.filter(**{pk_name: getattr(oldest, pk_name)})
            .filter(
                Q(history_date__lt=oldest.history_date)
                | Q(history_date=oldest.history_date, history_id__lt=oldest.pk)
            )
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
            .first()
        )
        rows = words_for(self.model).rows(records[::-1], before)
        words = {row.record.pk: row.words for row in rows}
        columns = self.get_history_list_display(request)
        for record in records:
            record.history_words = words.get(record.pk, [])
            record.history_hidden = record.pk not in words
            record.history_columns = [self._history_column(record, c) for c in columns]

    def _history_column(self, record: Any, name: str) -> Any:
        """A history column's value, a choice by its label, not its code."""
        display = getattr(record, f"get_{name}_display", None)
        value = display() if callable(display) else getattr(record, name)
        return "—" if value is None or value == "" else value

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied("Past versions cannot be restored.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReferenceDataAdmin(HistoryAdmin):
    """``is_reference`` (public before any published claim uses the row) is
    for reviewers to set: read-only to anyone without ``reference_permission``."""

    reference_permission: str

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm(self.reference_permission):
            fields.append("is_reference")
        return fields
