"""Refusals from the domain layer, shown on the form the editor submitted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from claims import services
from claims.models import Claim
from verifier.admin import HistoryAdmin

from .history import stale_messages

DomainError = ValidationError | PermissionDenied | services.StaleVersion


# --- Refusals from the domain layer, shown on the submitted form -------------


def refusal_messages(error: DomainError) -> dict[str | None, list[str]]:
    """A domain error as messages keyed by field (``None``: the whole form)."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return {field: list(texts) for field, texts in error.message_dict.items()}
    if isinstance(error, ValidationError):
        return {None: list(error.messages)}
    return {None: [str(error) or "Your role does not allow this change."]}


def refusal_texts(error: DomainError, claim: Claim | None = None) -> list[str]:
    """A domain error as the lines a message says; a stale version of
    ``claim`` names what changed since the editor loaded it."""
    if isinstance(error, services.StaleVersion) and claim is not None:
        return stale_messages(claim, error.expected)
    return [text for texts in refusal_messages(error).values() for text in texts]


def report_refusal(
    model_admin: Any, request: HttpRequest, error: DomainError, claim: Claim | None
) -> None:
    """Tell the editor, in the page's messages, why nothing was changed."""
    for text in refusal_texts(error, claim):
        model_admin.message_user(request, text, messages.ERROR)


def add_refusal(
    form: forms.Form, error: DomainError, claim: Claim | None = None
) -> None:
    """Show ``error`` on the form, by field where it names one."""
    if isinstance(error, services.StaleVersion) and claim is not None:
        form.add_error(None, stale_messages(claim, error.expected))
        return
    for field, texts in refusal_messages(error).items():
        if field in form.fields:
            form.add_error(field, texts)
        elif field in (None, "__all__"):
            form.add_error(None, texts)
        else:
            form.add_error(
                None, [f"{field.replace('_', ' ')}: {text}" for text in texts]
            )


def refusing(form_class: type[ModelForm], error: DomainError) -> type[ModelForm]:
    """The form class, made to carry ``error`` so the page shows it again."""

    class RefusedForm(form_class):
        def clean(self) -> dict[str, Any]:
            cleaned = super().clean()
            add_refusal(self, error)
            return cleaned

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


class ServiceAdmin(HistoryAdmin):
    """An admin whose saves call the services and show their refusals.

    The admin wraps a save in one transaction; a refusal raised while saving
    rolls it back, and the page is then built again from the same POST with
    the refusal attached to the form, so the editor keeps what they typed.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied, services.StaleVersion) as error:
            if request.method != "POST" or hasattr(request, "refusal"):
                raise
            request.refusal = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self,
        request: HttpRequest,
        obj: Any = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "refusal", None)
        return refusing(form, refusal) if refusal is not None else form

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        try:
            with transaction.atomic():
                return super().delete_view(request, object_id, extra_context)
        except (ValidationError, PermissionDenied, services.StaleVersion) as error:
            report_refusal(self, request, error, None)
            return HttpResponseRedirect(request.path.rsplit("delete/", 1)[0])
