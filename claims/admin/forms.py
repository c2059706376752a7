"""The claim's form, which refuses a stale page, the change-status form, and
lists of names typed one per line."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms import ModelForm
from django.utils.text import Truncator, capfirst

from claims.models import Claim, Evidence, Status

from .history import stale_messages


class LinesField(forms.CharField):
    """A list of strings (a JSON list field: aliases, alternate names) typed
    one per line: whitespace trimmed, blank lines and repeats dropped."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 40})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    @classmethod
    def for_model_field(cls, field: models.Field) -> LinesField:
        return cls(
            label=capfirst(field.verbose_name),
            required=not field.blank,
            help_text=f"One per line. {field.help_text}".strip(),
        )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            lines = [str(item) for item in value]
        else:
            lines = str(value or "").splitlines()
        # dict.fromkeys keeps the first of repeats, in the order typed.
        return list(dict.fromkeys(line.strip() for line in lines if line.strip()))

    def validate(self, value: list[str]) -> None:  # type: ignore[override]
        super().validate(value)
        if any("\x00" in name for name in value):
            raise ValidationError("Null characters are not allowed.", code="null")


class LinesFieldsMixin:
    """Admin forms showing ``lines_fields`` (JSON lists of names) as lines."""

    lines_fields: tuple[str, ...] = ()

    def formfield_for_dbfield(
        self, db_field: models.Field, request: Any, **kwargs: Any
    ) -> Any:
        if db_field.name in self.lines_fields:
            return LinesField.for_model_field(db_field)
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


class ClaimForm(ModelForm):
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Claim
        fields = Claim.EDITABLE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields[
                "slug"
            ].help_text = "Left empty, it is made from the text. Fixed once published."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if self.instance.pk and loaded is not None and loaded != self.instance.version:
            raise ValidationError(stale_messages(self.instance, loaded))
        return cleaned


class EvidenceChoiceField(forms.ModelMultipleChoiceField):
    """Evidence named by its document: title, publisher, date and stance."""

    def label_from_instance(self, obj: Evidence) -> str:
        document = obj.document
        about = [
            part
            for part in (
                document.publisher.name if document.publisher else "",
                f"{document.published_at:%d %b %Y}" if document.published_at else "",
            )
            if part
        ]
        published = f" ({', '.join(about)})" if about else ""
        note = f" — {Truncator(obj.note).chars(80)}" if obj.note else ""
        return f"{document.title}{published}: {obj.get_stance_display()}{note}"


class ChangeStatusForm(forms.Form):
    status = forms.ChoiceField(label="New status")
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Why the verdict changes; shown in the public timeline.",
    )
    evidence = EvidenceChoiceField(
        queryset=Evidence.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Rests on",
        help_text="Every status but unverified rests on at least one piece of "
        "this claim's evidence.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, *, claim: Claim, may_set_final: bool, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        # No status is preselected: a verdict is chosen, never defaulted into.
        self.fields["status"].choices = [("", "— choose —")] + [
            (value, label)
            for value, label in Status.choices
            if value != claim.status and (may_set_final or value not in Status.final())
        ]
        self.fields["evidence"].queryset = claim.evidence.select_related(
            "document__publisher"
        )
        self.fields["version"].initial = claim.version
