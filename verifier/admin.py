"""Admin bases every app's admin shares: autocomplete widgets that survive
any input, read-only audit history, and reference data only reviewers mark
public."""

from typing import Any

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

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
    """Audit history with field-level changes; past versions are read-only.

    Reverting would write an old version past the rules of the domain layer,
    so it is disabled (``SIMPLE_HISTORY_REVERT_DISABLED``) and refused here.
    """

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
